#include "backend/rpc/auth.h"

#include "backend/sim/strings.h"

#include <fstream>
#include <sstream>

namespace livedeck::rpc {

std::string_view roleName(Role role) { return role == Role::Operator ? "operator" : "viewer"; }

namespace {

bool constantTimeEqual(std::string_view a, std::string_view b)
{
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    for (std::size_t i = 0; i < n; ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::vector<std::string_view> splitWords(std::string_view line)
{
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t')
            ++i;
        if (i > start)
            words.push_back(line.substr(start, i - start));
    }
    return words;
}

} // namespace

absl::StatusOr<TokenStore> TokenStore::parse(std::string_view text, std::string_view fileName)
{
    TokenStore store;
    int lineNo = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos)
            eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        pos = eol + 1;
        ++lineNo;
        if (const std::size_t hash = line.find('#'); hash != std::string_view::npos)
            line = line.substr(0, hash);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        const std::vector<std::string_view> words = splitWords(line);
        if (words.empty())
            continue;
        if (words.size() < 2 || words.size() > 3)
            return absl::InvalidArgumentError(sim::strCat(fileName, ":", lineNo, ": expected '<token> <viewer|operator> [<name>]'"));
        if (words[0].size() < 16)
            return absl::InvalidArgumentError(sim::strCat(fileName, ":", lineNo, ": token too short (at least 16 characters)"));
        Entry e;
        e.token = std::string(words[0]);
        if (words[1] == "viewer")
            e.identity.role = Role::Viewer;
        else if (words[1] == "operator")
            e.identity.role = Role::Operator;
        else
            return absl::InvalidArgumentError(
                sim::strCat(fileName, ":", lineNo, ": unknown role '", words[1], "' (expected viewer or operator)"));
        e.identity.name = words.size() == 3 ? std::string(words[2]) : sim::strCat("token-", lineNo);
        for (const Entry& other : store.m_entries) {
            if (other.token == e.token)
                return absl::InvalidArgumentError(sim::strCat(fileName, ":", lineNo, ": duplicate token"));
        }
        store.m_entries.push_back(std::move(e));
        if (eol == text.size())
            break;
    }
    if (store.m_entries.empty())
        return absl::InvalidArgumentError(sim::strCat(fileName, ": no tokens (expected lines '<token> <viewer|operator> [<name>]')"));
    return store;
}

absl::StatusOr<TokenStore> TokenStore::load(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return absl::NotFoundError(sim::strCat(path, ": cannot open the token file"));
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), path);
}

const Identity* TokenStore::find(std::string_view token) const
{
    const Identity* found = nullptr;
    for (const Entry& e : m_entries) {
        if (constantTimeEqual(e.token, token) && found == nullptr)
            found = &e.identity;
    }
    return found;
}

const Identity* TokenStore::fromAuthorization(std::string_view header) const
{
    constexpr std::string_view kBearer = "Bearer ";
    if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer)
        return nullptr;
    return find(header.substr(kBearer.size()));
}

} // namespace livedeck::rpc
