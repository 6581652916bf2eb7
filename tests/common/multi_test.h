// Runs several QtTest classes from one executable (one test executable per module).
// Usage in a module's main.cpp:
//   LIVEDECK_TEST_MAIN(TstScheduler, TstRandom)
// `tst_sim TstScheduler [qtest args]` runs one class; no class name runs them all.
#pragma once

#include <QCoreApplication>
#include <QObject>
#include <QStringList>
#include <QTest>

#include <functional>
#include <memory>
#include <vector>

namespace livedeck::test {

struct TestEntry {
    const char* name;
    std::function<std::unique_ptr<QObject>()> make;
};

int runTests(int argc, char** argv, const std::vector<TestEntry>& tests);

template <class T>
TestEntry entry(const char* name)
{
    return TestEntry{name, [] { return std::unique_ptr<QObject>(new T); }};
}

} // namespace livedeck::test

#define LIVEDECK_TEST_ENTRY(T) ::livedeck::test::entry<T>(#T)
#define LIVEDECK_TEST_MAIN(...)                                                                \
    int main(int argc, char** argv)                                                           \
    {                                                                                          \
        return ::livedeck::test::runTests(argc, argv, {LIVEDECK_FOR_EACH_ENTRY(__VA_ARGS__)}); \
    }

// Expands each class name into an entry (up to 16 classes).
#define LIVEDECK_FE_1(X) LIVEDECK_TEST_ENTRY(X)
#define LIVEDECK_FE_2(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_1(__VA_ARGS__)
#define LIVEDECK_FE_3(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_2(__VA_ARGS__)
#define LIVEDECK_FE_4(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_3(__VA_ARGS__)
#define LIVEDECK_FE_5(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_4(__VA_ARGS__)
#define LIVEDECK_FE_6(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_5(__VA_ARGS__)
#define LIVEDECK_FE_7(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_6(__VA_ARGS__)
#define LIVEDECK_FE_8(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_7(__VA_ARGS__)
#define LIVEDECK_FE_9(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_8(__VA_ARGS__)
#define LIVEDECK_FE_10(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_9(__VA_ARGS__)
#define LIVEDECK_FE_11(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_10(__VA_ARGS__)
#define LIVEDECK_FE_12(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_11(__VA_ARGS__)
#define LIVEDECK_FE_13(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_12(__VA_ARGS__)
#define LIVEDECK_FE_14(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_13(__VA_ARGS__)
#define LIVEDECK_FE_15(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_14(__VA_ARGS__)
#define LIVEDECK_FE_16(X, ...) LIVEDECK_TEST_ENTRY(X), LIVEDECK_FE_15(__VA_ARGS__)
#define LIVEDECK_FE_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, NAME, ...) NAME
#define LIVEDECK_FOR_EACH_ENTRY(...)                                                                           \
    LIVEDECK_FE_PICK(__VA_ARGS__, LIVEDECK_FE_16, LIVEDECK_FE_15, LIVEDECK_FE_14, LIVEDECK_FE_13, LIVEDECK_FE_12, \
                     LIVEDECK_FE_11, LIVEDECK_FE_10, LIVEDECK_FE_9, LIVEDECK_FE_8, LIVEDECK_FE_7, LIVEDECK_FE_6,    \
                     LIVEDECK_FE_5, LIVEDECK_FE_4, LIVEDECK_FE_3, LIVEDECK_FE_2, LIVEDECK_FE_1)                     \
    (__VA_ARGS__)
