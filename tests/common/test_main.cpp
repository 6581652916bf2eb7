#include "tests/common/multi_test.h"

#include <cstdio>
#include <cstring>

namespace livedeck::test {

int runSelected(int argc, char** argv, const std::vector<TestEntry>& tests)
{
    const char* only = nullptr;
    std::vector<char*> args{argv[0]};
    for (int i = 1; i < argc; ++i) {
        bool isClass = false;
        for (const TestEntry& t : tests)
            isClass = isClass || std::strcmp(t.name, argv[i]) == 0;
        if (isClass && !only)
            only = argv[i];
        else
            args.push_back(argv[i]);
    }
    if (argc > 1 && !only && argv[1][0] != '-') {
        std::fprintf(stderr, "unknown test class '%s'; classes:", argv[1]);
        for (const TestEntry& t : tests)
            std::fprintf(stderr, " %s", t.name);
        std::fprintf(stderr, "\n");
        return 2;
    }
    int status = 0;
    for (const TestEntry& t : tests) {
        if (only && std::strcmp(only, t.name) != 0)
            continue;
        auto object = t.make();
        status |= QTest::qExec(object.get(), static_cast<int>(args.size()), args.data());
    }
    return status;
}

} // namespace livedeck::test
