#include "app/livedeckctl/cli.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace livedeck::ctl {
namespace {

std::ostream* g_out = nullptr;
std::ostream* g_err = nullptr;

bool isOptionToken(const std::string& t)
{
    // "-5" and "-0.5" are arguments (a negative value), "-" alone too.
    if (t.size() < 2 || t[0] != '-')
        return false;
    const char c = t[1];
    return !(c >= '0' && c <= '9') && c != '.';
}

struct GlobalSpec {
    const char* name;
    char shortName;
    bool takesValue;
};
constexpr GlobalSpec kGlobals[] = {
    {"server", 0, true}, {"token-file", 0, true}, {"tls-ca", 0, true}, {"help", 'h', false}, {"version", 'v', false},
};

const GlobalSpec* findGlobal(std::string_view name, char shortName)
{
    for (const GlobalSpec& g : kGlobals) {
        if ((!name.empty() && name == g.name) || (shortName != 0 && shortName == g.shortName))
            return &g;
    }
    return nullptr;
}

std::string optionLabel(const OptionSpec& o)
{
    std::string s = o.shortName != 0 ? std::string("-") + o.shortName + ", " : std::string("    ");
    s += "--" + o.name;
    if (!o.valueName.empty())
        s += " " + o.valueName;
    return s;
}

void appendColumns(std::string& text, const std::string& left, const std::string& right, std::size_t width)
{
    text += "  " + left;
    if (left.size() + 2 > width) {
        text += "\n" + std::string(width + 2, ' ');
    } else {
        text += std::string(width - left.size(), ' ');
    }
    // Indent continuation lines of `right` under its first line.
    for (char c : right) {
        text += c;
        if (c == '\n')
            text += std::string(width + 2, ' ');
    }
    text += '\n';
}

std::string serverPrefix(Where where)
{
    return where == Where::Remote ? "--server HOST:PORT [--token-file F] " : "";
}

} // namespace

std::ostream& out() { return g_out != nullptr ? *g_out : std::cout; }
std::ostream& err() { return g_err != nullptr ? *g_err : std::cerr; }

std::string joinWords(const std::vector<std::string>& words, std::string_view sep)
{
    std::string s;
    for (const std::string& w : words) {
        if (!s.empty())
            s += sep;
        s += w;
    }
    return s;
}

bool readFile(const std::string& path, std::string& bytes, std::string& error)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = path + ": cannot be read";
        return false;
    }
    std::ostringstream s;
    s << in.rdbuf();
    bytes = s.str();
    return true;
}

bool writeFile(const std::string& path, const std::string& bytes, std::string& error)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) {
        error = path + ": cannot be written";
        return false;
    }
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) {
        error = path + ": write error";
        return false;
    }
    return true;
}

// ------------------------------------------------------------------ Invocation

bool Invocation::has(std::string_view option) const
{
    return m_values.find(option) != m_values.end();
}

std::string Invocation::value(std::string_view option, std::string fallback) const
{
    auto it = m_values.find(option);
    return it == m_values.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Invocation::values(std::string_view option) const
{
    auto it = m_values.find(option);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

std::string Invocation::name() const
{
    return joinWords(m_command.path);
}

int Invocation::usageError(std::string_view message) const
{
    err() << "livedeckctl " << name() << ": " << message << "\n\nUsage: livedeckctl " << serverPrefix(m_command.where)
          << name() << (m_command.args.empty() ? "" : " ") << m_command.args
          << (m_command.options.empty() ? "" : " [options]") << "\nRun 'livedeckctl help " << name()
          << "' for more.\n";
    return kExitBadInput;
}

int Invocation::fail(std::string_view message, int code) const
{
    err() << "livedeckctl " << name() << ": " << message << "\n";
    return code;
}

// ------------------------------------------------------------------ registry

void CommandRegistry::add(Command command)
{
    assert(!command.path.empty() && command.run);
    assert(find(command.path, command.where) == nullptr);
    m_commands.push_back(std::move(command));
    std::stable_sort(m_commands.begin(), m_commands.end(),
                     [](const Command& a, const Command& b) { return a.path < b.path; });
}

void CommandRegistry::describeGroup(std::string word, std::string description, std::string epilogue)
{
    m_groups[std::move(word)] = Group{std::move(description), std::move(epilogue)};
}

void CommandRegistry::addGlobalOptionsHelp(std::string heading, std::string lines)
{
    m_extraGlobalHelp.emplace_back(std::move(heading), std::move(lines));
}

const Command* CommandRegistry::find(const std::vector<std::string>& path, Where where) const
{
    for (const Command& c : m_commands) {
        if (c.path == path && c.where == where)
            return &c;
    }
    return nullptr;
}

bool CommandRegistry::isPrefix(const std::vector<std::string>& prefix) const
{
    for (const Command& c : m_commands) {
        if (c.path.size() > prefix.size() && std::equal(prefix.begin(), prefix.end(), c.path.begin()))
            return true;
    }
    return false;
}

std::string CommandRegistry::overview(bool remote) const
{
    std::string text;
    if (remote) {
        text += "Usage: livedeckctl --server HOST:PORT [--token-file F] [--tls-ca F] <command> [options]\n\n"
                "Talks to a livedeckd node (docs/API.md). Commands:\n";
    } else {
        text += "Usage: livedeckctl [--server HOST:PORT [--token-file F] [--tls-ca F]] <command> [options]\n\n"
                "livedeck's command-line tool: runs worlds headless and prints what happened,\n"
                "measures the engines' figures, and drives livedeckd nodes.\n\nCommands:\n";
    }
    constexpr std::size_t kWidth = 30;
    const auto list = [&](Where where) {
        for (const Command& c : m_commands) {
            if (c.where == where)
                appendColumns(text, joinWords(c.path) + (c.args.empty() ? "" : " " + c.args), c.summary, kWidth);
        }
    };
    list(remote ? Where::Remote : Where::Local);
    if (!remote)
        appendColumns(text, "version", "Print the program's version and build", kWidth);
    appendColumns(text, "help [COMMAND]", "Show this help, or a command's", kWidth);
    if (!remote) {
        text += "\nOn a livedeckd node: livedeckctl --server HOST:PORT [--token-file F] <command>\n";
        list(Where::Remote);
    }
    text += "\nGlobal options:\n";
    appendColumns(text, "    --server HOST:PORT", "Run the command on a livedeckd node (its remote form)", kWidth);
    appendColumns(text, "    --token-file F", "A file whose first line is '<token>' or '<token> <role> [<name>]'", kWidth);
    appendColumns(text, "    --tls-ca F", "PEM roots to verify the node's TLS certificate (plaintext without it)", kWidth);
    appendColumns(text, "-h, --help", "Show this help", kWidth);
    appendColumns(text, "-v, --version", "Print the version", kWidth);
    for (const auto& [heading, lines] : m_extraGlobalHelp)
        text += "\n" + heading + ":\n" + lines;
    text += "\nRun 'livedeckctl help <command>' or 'livedeckctl <command> --help' for its options.\n"
            "Exit codes: 0 ok, 1 the work failed (a drill or figure failed, the node refused),\n"
            "2 bad usage or bad input (a drill file with an error, an unreachable node).\n";
    return text;
}

std::string CommandRegistry::commandHelp(const Command& c) const
{
    std::string text = "Usage: livedeckctl " + serverPrefix(c.where) + joinWords(c.path) + (c.args.empty() ? "" : " " + c.args)
                       + " [options]\n";
    if (!c.description.empty())
        text += "\n" + c.description + (c.description.back() == '\n' ? "" : "\n");
    text += "\nOptions:\n";
    std::size_t width = 16;
    for (const OptionSpec& o : c.options)
        width = std::max(width, optionLabel(o).size() + 2);
    width = std::min<std::size_t>(width, 30);
    for (const OptionSpec& o : c.options)
        appendColumns(text, optionLabel(o), o.help + (o.repeatable ? " (repeatable)" : ""), width);
    appendColumns(text, "-h, --help", "Show this help.", width);
    return text;
}

std::string CommandRegistry::groupHelp(const std::vector<std::string>& prefix, bool remote) const
{
    const std::string words = joinWords(prefix);
    std::string text = "Usage: livedeckctl " + std::string(remote ? "--server HOST:PORT " : "") + words
                       + " <subcommand> [options]\n";
    auto g = m_groups.find(words);
    if (g != m_groups.end() && !g->second.description.empty())
        text += "\n" + g->second.description;
    text += "\nSubcommands:\n";
    for (const Command& c : m_commands) {
        if (c.path.size() <= prefix.size() || !std::equal(prefix.begin(), prefix.end(), c.path.begin()))
            continue;
        if (remote && c.where != Where::Remote)
            continue;
        std::vector<std::string> rest(c.path.begin() + static_cast<std::ptrdiff_t>(prefix.size()), c.path.end());
        std::string summary = c.summary;
        if (!remote && c.where == Where::Remote)
            summary += " (on a node: --server)";
        appendColumns(text, joinWords(rest) + (c.args.empty() ? "" : " " + c.args), summary, 28);
    }
    text += "\nRun 'livedeckctl help " + words + " <subcommand>' for a subcommand's options.\n";
    if (g != m_groups.end() && !g->second.epilogue.empty())
        text += "\n" + g->second.epilogue;
    return text;
}

int CommandRegistry::run(const std::vector<std::string>& argv, const std::string& version, std::ostream& outStream,
                         std::ostream& errStream) const
{
    g_out = &outStream;
    g_err = &errStream;
    GlobalOptions global;
    global.version = version;
    bool help = false;
    bool showVersion = false;
    bool optionsEnded = false;
    std::vector<std::string> tokens; // everything that is not a global option

    // Global options are accepted anywhere (before "--").
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& t = argv[i];
        if (optionsEnded || !isOptionToken(t)) {
            tokens.push_back(t);
            continue;
        }
        if (t == "--") {
            optionsEnded = true;
            tokens.push_back(t);
            continue;
        }
        std::string name;
        char shortName = 0;
        std::string inlineValue;
        bool hasInline = false;
        if (t.rfind("--", 0) == 0) {
            name = t.substr(2);
            if (const std::size_t eq = name.find('='); eq != std::string::npos) {
                inlineValue = name.substr(eq + 1);
                name.resize(eq);
                hasInline = true;
            }
        } else if (t.size() == 2) {
            shortName = t[1];
        }
        const GlobalSpec* g = findGlobal(name, shortName);
        if (g == nullptr) {
            tokens.push_back(t);
            continue;
        }
        std::string value;
        if (g->takesValue) {
            if (hasInline) {
                value = inlineValue;
            } else if (i + 1 < argv.size()) {
                value = argv[++i];
            } else {
                errStream << "livedeckctl: --" << g->name << " wants a value\n\n" << overview(false);
                return kExitBadInput;
            }
        }
        const std::string_view n = g->name;
        if (n == "server")
            global.server = value;
        else if (n == "token-file")
            global.tokenFile = value;
        else if (n == "tls-ca")
            global.tlsCa = value;
        else if (n == "help")
            help = true;
        else if (n == "version")
            showVersion = true;
    }
    const bool remote = !global.server.empty();

    // The command's words: the longest prefix of the leading non-option tokens that a
    // command (or group) has.
    std::size_t nWords = 0;
    bool helpCommand = false;
    std::size_t start = 0;
    if (!tokens.empty() && tokens[0] == "help") {
        helpCommand = true;
        start = 1;
    } else if (!tokens.empty() && tokens[0] == "version" && !remote) {
        outStream << "livedeckctl " << version << "\n";
        return kExitOk;
    }
    std::vector<std::string> words;
    for (std::size_t i = start; i < tokens.size(); ++i) {
        if (isOptionToken(tokens[i]) || tokens[i] == "--")
            break;
        std::vector<std::string> candidate = words;
        candidate.push_back(tokens[i]);
        const bool known = find(candidate, Where::Local) || find(candidate, Where::Remote) || isPrefix(candidate);
        if (!known)
            break;
        words = std::move(candidate);
        nWords = i + 1 - start;
    }
    if (showVersion && words.empty()) {
        outStream << "livedeckctl " << version << "\n";
        return kExitOk;
    }
    if (words.empty()) {
        if (helpCommand || help) {
            if (helpCommand && tokens.size() > 1) {
                errStream << "livedeckctl help: unknown command '" << tokens[1] << "'\n\n" << overview(remote);
                return kExitBadInput;
            }
            outStream << overview(remote);
            return kExitOk;
        }
        if (tokens.empty()) {
            errStream << overview(remote);
            return kExitBadInput;
        }
        errStream << "livedeckctl: unknown " << (remote ? "remote " : "") << "command '" << tokens[0] << "'\n\n"
                  << overview(remote);
        return kExitBadInput;
    }

    const Command* local = find(words, Where::Local);
    const Command* onNode = find(words, Where::Remote);
    const Command* command = remote ? onNode : local;
    if (command == nullptr && !(local || onNode)) {
        // A group: "drill", "fault".
        const std::size_t next = start + nWords;
        const bool wantsHelp = helpCommand || help || (next < tokens.size() && tokens[next] == "help");
        if (wantsHelp) {
            outStream << groupHelp(words, remote);
            return kExitOk;
        }
        if (next >= tokens.size()) {
            errStream << "livedeckctl " << joinWords(words) << ": missing subcommand\n\n" << groupHelp(words, remote);
        } else {
            errStream << "livedeckctl " << joinWords(words) << ": unknown subcommand '" << tokens[next] << "'\n\n"
                      << groupHelp(words, remote);
        }
        return kExitBadInput;
    }
    if (helpCommand) {
        if (local)
            outStream << commandHelp(*local);
        if (onNode)
            outStream << (local ? "\n" : "") << commandHelp(*onNode);
        return kExitOk;
    }
    if (command == nullptr) {
        const std::string name = joinWords(words);
        if (remote) {
            errStream << "livedeckctl " << name << ": runs on this machine and takes no --server\n";
        } else {
            errStream << "livedeckctl " << name << ": needs a node to run on: livedeckctl --server HOST:PORT " << name
                      << (onNode->args.empty() ? "" : " " + onNode->args) << "\n";
            if (words == std::vector<std::string>{"action"})
                errStream << "(to act on a local run: livedeckctl drill run DRILL --action AT:NAME:TARGET[:VALUE])\n";
        }
        return kExitBadInput;
    }
    if (help) {
        outStream << commandHelp(*command);
        return kExitOk;
    }
    if (showVersion) {
        errStream << "livedeckctl " << joinWords(words) << ": --version is not an option of this command "
                  << "(livedeckctl --version prints the version)\n";
        return kExitBadInput;
    }

    // The command's arguments and options.
    Invocation inv(*command, global);
    optionsEnded = false;
    for (std::size_t i = start + nWords; i < tokens.size(); ++i) {
        const std::string& t = tokens[i];
        if (optionsEnded || !isOptionToken(t)) {
            inv.m_args.push_back(t);
            continue;
        }
        if (t == "--") {
            optionsEnded = true;
            continue;
        }
        std::string name;
        std::string inlineValue;
        bool hasInline = false;
        const OptionSpec* spec = nullptr;
        if (t.rfind("--", 0) == 0) {
            name = t.substr(2);
            if (const std::size_t eq = name.find('='); eq != std::string::npos) {
                inlineValue = name.substr(eq + 1);
                name.resize(eq);
                hasInline = true;
            }
            for (const OptionSpec& o : command->options) {
                if (o.name == name)
                    spec = &o;
            }
        } else {
            for (const OptionSpec& o : command->options) {
                if (o.shortName != 0 && o.shortName == t[1])
                    spec = &o;
            }
            if (spec != nullptr && t.size() > 2) {
                if (spec->valueName.empty()) {
                    spec = nullptr;
                } else {
                    inlineValue = t.substr(2);
                    hasInline = true;
                }
            }
            name = spec != nullptr ? spec->name : t.substr(1);
        }
        if (spec == nullptr)
            return inv.usageError("unknown option '" + t + "'");
        std::string value;
        if (!spec->valueName.empty()) {
            if (hasInline) {
                value = inlineValue;
            } else if (i + 1 < tokens.size()) {
                value = tokens[++i];
            } else {
                return inv.usageError("--" + spec->name + " wants a value (" + spec->valueName + ")");
            }
        } else if (hasInline) {
            return inv.usageError("--" + spec->name + " takes no value");
        }
        auto& slot = inv.m_values[spec->name];
        if (!slot.empty() && !spec->repeatable && !spec->valueName.empty())
            return inv.usageError("--" + spec->name + " given twice");
        slot.push_back(std::move(value));
    }
    const int n = static_cast<int>(inv.m_args.size());
    if (n < command->minArgs)
        return inv.usageError(command->args.empty() ? "missing argument" : "missing argument (" + command->args + ")");
    if (command->maxArgs >= 0 && n > command->maxArgs)
        return inv.usageError("unexpected argument '" + inv.m_args[static_cast<std::size_t>(command->maxArgs)] + "'");
    return command->run(inv);
}

} // namespace livedeck::ctl
