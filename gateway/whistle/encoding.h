// Byte encodings the whistle queue needs: sha256 of evidence (hex) and
// base64 for photos carried inside JSON reports.
#pragma once

#include <optional>
#include <string>

namespace shaobing::whistle {

std::string sha256Hex(const std::string& bytes);
std::string base64Encode(const std::string& bytes);
// Standard alphabet with padding; whitespace ignored. nullopt when invalid.
std::optional<std::string> base64Decode(const std::string& text);

}  // namespace shaobing::whistle
