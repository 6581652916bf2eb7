// SHA-256 (FIPS 180-4) of a byte string or a file, as lowercase hex: the file hash a
// plugin is recorded with in topologies, recordings and --list-plugins.
#pragma once

#include <string>
#include <string_view>

namespace livedeck::plugins {

std::string sha256Hex(std::string_view bytes);
// Empty when the file cannot be read.
std::string sha256File(const std::string& path);

} // namespace livedeck::plugins
