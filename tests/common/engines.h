// Tests that need a particular engine skip (and say why) in a build that leaves it out
// (LIVEDECK_SKIP_MODULES): the test program registers the engines its build has.
#pragma once

#include "backend/engine/engine.h"

#include <QtTest>

#define LIVEDECK_REQUIRE_ENGINE(name)                                                                     \
    do {                                                                                                  \
        if (!::livedeck::engine::processEngines().find(name))                                             \
            QSKIP("this build has no '" name "' engine (LIVEDECK_SKIP_MODULES)");                          \
    } while (false)
