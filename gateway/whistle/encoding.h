// Byte encodings the whistle queue needs: sha256 of evidence (hex). Base64
// is in gateway/core/base64.h.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "gateway/core/base64.h"

namespace shaobing::whistle {

std::string sha256Hex(const std::string& bytes);

// sha256 of bytes handed over in pieces (a file as it is written).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const char* data, size_t n);
  std::string hex();  // finishes the digest

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace shaobing::whistle
