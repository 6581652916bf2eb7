// livedeckctl's command line, without Qt: a registry of commands and one parser.
//
// A command registers its words ("drill run"), where it runs (on this machine, or on
// the livedeckd node named by --server), a synopsis, options, a description and a
// handler. Each file app/livedeckctl/commands/<name>_command.cpp (and, when the gRPC
// stubs are built, app/livedeckctl/remote/<name>_command.cpp) defines
// `void register<Name>Command(CommandRegistry&)`; CMake generates the function that
// calls them all (registerAllCommands), so a new command is a new file — no central
// switch to edit.
//
// Grammar: livedeckctl [GLOBAL OPTIONS] WORD... [ARGS and OPTIONS]
//   global options: --server HOST:PORT, --token-file F, --tls-ca F, -h/--help,
//   -v/--version (accepted anywhere; --server selects the remote form of a command);
//   options: --name VALUE, --name=VALUE, -x VALUE; "--" ends the options; a token such
//   as "-5" is an argument, not an option.
//   `livedeckctl help [WORD...]` and `livedeckctl WORD... --help` print help (exit 0).
// Exit codes: 0 success, 1 the command's work failed (a drill failed, a figure missed
// its check, the node refused), 2 bad usage or bad input (with a message on stderr).
// Thread: main thread only.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace livedeck::ctl {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

// Where a command runs: here, or on the node named by --server.
enum class Where { Local, Remote };

struct OptionSpec {
    std::string name;         // long name without dashes: "seed"
    char shortName = 0;       // 's' for -s; 0 for none
    std::string valueName;    // "N"; empty: a flag without a value
    std::string help;
    bool repeatable = false;  // may be given more than once (values() has them all)
};

struct GlobalOptions {
    std::string server;       // HOST:PORT; empty: local
    std::string tokenFile;
    std::string tlsCa;
    std::string version;      // the program's build id
};

class Invocation;

struct Command {
    std::vector<std::string> path; // {"drill", "run"}
    Where where = Where::Local;
    std::string args;              // synopsis after the words: "FILE"
    std::string summary;           // one line for the command list
    std::string description;       // the help text's body (may span lines)
    std::vector<OptionSpec> options;
    int minArgs = 0;
    int maxArgs = 0;               // -1: any number
    std::function<int(const Invocation&)> run;
};

// What a handler gets: the parsed arguments and options, and the global options.
class Invocation {
public:
    Invocation(const Command& command, const GlobalOptions& global) : m_command(command), m_global(global) {}

    const Command& command() const { return m_command; }
    const GlobalOptions& global() const { return m_global; }
    const std::vector<std::string>& args() const { return m_args; }
    const std::string& arg(std::size_t i) const { return m_args.at(i); }
    bool has(std::string_view option) const;
    // The option's last value, or `fallback` when it was not given.
    std::string value(std::string_view option, std::string fallback = {}) const;
    std::vector<std::string> values(std::string_view option) const;
    // "drill run"
    std::string name() const;

    // Prints "livedeckctl <name>: <message>" and the command's usage to stderr; returns 2.
    int usageError(std::string_view message) const;
    // Prints "livedeckctl <name>: <message>" to stderr; returns `code`.
    int fail(std::string_view message, int code = kExitBadInput) const;

private:
    friend class CommandRegistry;
    const Command& m_command;
    const GlobalOptions& m_global;
    std::vector<std::string> m_args;
    std::map<std::string, std::vector<std::string>, std::less<>> m_values;
};

class CommandRegistry {
public:
    // Adds a command; a second command with the same words and place is a programming
    // error (asserted).
    void add(Command command);
    // Describes a word that groups commands ("drill"): its help lists the subcommands.
    void describeGroup(std::string word, std::string description, std::string epilogue = {});
    // More global options the program handles before the registry (e.g. plugin loading),
    // listed in the overview under their heading: "  --name VALUE   what it does\n" lines.
    void addGlobalOptionsHelp(std::string heading, std::string lines);

    // Parses and runs `argv` (program name first); returns the exit code. Writes to the
    // given streams (std::cout / std::cerr in the program, string streams in tests).
    int run(const std::vector<std::string>& argv, const std::string& version, std::ostream& out, std::ostream& err) const;

    // Help texts (also used for the man page).
    std::string overview(bool remote) const;
    std::string commandHelp(const Command& command) const;
    std::string groupHelp(const std::vector<std::string>& prefix, bool remote) const;

    const std::vector<Command>& commands() const { return m_commands; }

private:
    struct Group {
        std::string description;
        std::string epilogue;
    };
    const Command* find(const std::vector<std::string>& path, Where where) const;
    bool isPrefix(const std::vector<std::string>& prefix) const;
    std::vector<Command> m_commands;
    std::map<std::string, Group, std::less<>> m_groups;
    std::vector<std::pair<std::string, std::string>> m_extraGlobalHelp;
};

// Fills `registry` with every command of this build (generated by CMake from the
// command files; part of the livedeckctl program, not of the livedeckctl_cli library).
void registerAllCommands(CommandRegistry& registry);

// The streams commands print to (std::cout / std::cerr unless a test redirects them).
std::ostream& out();
std::ostream& err();

// Text helpers shared by the commands.
std::string joinWords(const std::vector<std::string>& words, std::string_view sep = " ");
bool readFile(const std::string& path, std::string& bytes, std::string& error);
bool writeFile(const std::string& path, const std::string& bytes, std::string& error);

} // namespace livedeck::ctl
