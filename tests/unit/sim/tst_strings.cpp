#include "backend/sim/strings.h"
#include "tests/common/multi_test.h"

#include <cmath>
#include <limits>

using namespace livedeck::sim;

class TstStrings : public QObject {
    Q_OBJECT
private slots:
    // wholeText is printf's "%.0f", character for character: ties to even, "-0", and
    // printf itself beyond 2^53.
    void wholeTextIsPrintfsNoDecimals()
    {
        const double cases[] = {0.0,     -0.0,    0.5,     1.5,      2.5,       -0.4,   -0.5,     -1.5,
                                3.49999, 12.0,    1234.5,  1235.5,   99999.51,  1e15,   -2.5e14,  9007199254740991.0,
                                9007199254740992.0, 1e20, -1e300, std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::quiet_NaN(), 4503599627370495.5};
        for (double v : cases) {
            char buf[400];
            std::snprintf(buf, sizeof buf, "%.0f", v);
            QCOMPARE(QString::fromStdString(wholeText(v)), QString::fromLatin1(buf));
        }
        for (int i = -20000; i <= 20000; ++i) {
            const double v = i * 0.25 + 1e-3 * (i % 7);
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.0f", v);
            QCOMPARE(QString::fromStdString(wholeText(v)), QString::fromLatin1(buf));
        }
    }

    void strCatJoinsTextNumbersAndFlags()
    {
        QCOMPARE(QString::fromStdString(strCat("a", 1, '-', std::string("b"), true, std::string_view("c"), -7L)),
                 QStringLiteral("a1-btruec-7"));
        QCOMPARE(QString::fromStdString(strCat(0.25)), QStringLiteral("0.25"));
    }
};

LIVEDECK_TEST_CLASS(TstStrings)
#include "tst_strings.moc"
