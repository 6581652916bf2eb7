// Bearer tokens and roles for the node's API (docs/API.md "Access").
//
// A token file holds one token per line: `<token> <role> [<name>]`, role `viewer`
// (watch only) or `operator` (may change the world); `#` starts a comment, blank lines
// are skipped. A client sends `authorization: Bearer <token>` in its call metadata. The
// name (default: "token-<line>") identifies the client in the audit log and in the
// `issuer` of every command it sends. Tokens are compared in constant time.
// A node bound to loopback without a token file treats every caller as the operator
// "local" (a developer's own machine); bound anywhere else it requires tokens (NodeServer).
#pragma once

#include <absl/status/statusor.h>

#include <string>
#include <string_view>
#include <vector>

namespace livedeck::rpc {

enum class Role { Viewer, Operator };

std::string_view roleName(Role role);

struct Identity {
    std::string name;
    Role role = Role::Viewer;
};

class TokenStore {
public:
    // Parses a token file's text; errors name the file and line.
    static absl::StatusOr<TokenStore> parse(std::string_view text, std::string_view fileName);
    static absl::StatusOr<TokenStore> load(const std::string& path);

    bool empty() const { return m_entries.empty(); }
    std::size_t size() const { return m_entries.size(); }
    // The identity a token stands for, or nullptr.
    const Identity* find(std::string_view token) const;

    // Identity from an `authorization` metadata value ("Bearer <token>").
    const Identity* fromAuthorization(std::string_view header) const;

private:
    struct Entry {
        std::string token;
        Identity identity;
    };
    std::vector<Entry> m_entries;
};

} // namespace livedeck::rpc
