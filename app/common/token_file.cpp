#include "app/common/token_file.h"

#include <fstream>
#include <sstream>

namespace livedeck::app {

absl::StatusOr<std::string> readClientToken(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return absl::NotFoundError("cannot read the token file " + path);
    std::string line;
    std::getline(in, line);
    const std::size_t begin = line.find_first_not_of(" \t\r");
    const std::size_t end = begin == std::string::npos ? begin : line.find_first_of(" \t\r", begin);
    std::string token = begin == std::string::npos ? std::string() : line.substr(begin, end - begin);
    if (token.empty())
        return absl::InvalidArgumentError("the token file " + path + " has no token on its first line");
    return token;
}

} // namespace livedeck::app
