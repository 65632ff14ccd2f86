// Base64 (RFC 4648, standard alphabet, padded): photos carried inside JSON
// reports and anything else that must travel as text.
#pragma once

#include <optional>
#include <string>

namespace shaobing {

std::string base64Encode(const std::string& bytes);
// Standard alphabet with padding; whitespace ignored. nullopt when invalid.
std::optional<std::string> base64Decode(const std::string& text);

}  // namespace shaobing
