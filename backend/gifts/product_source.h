// ProductSource: where the order path gets a product's price. The engine adapts the
// panel side's ProductCatalog (local hot-key cache → the data centre's Redis pair with
// singleflight → catalogue DB) to it, so the order service does not depend on how
// product data is cached. Contract: quote() answers exactly once, from a later event.
#pragma once

#include "backend/gifts/gift_types.h"
#include "backend/sim/inline_callback.h"
#include "backend/sim/scheduler.h"

#include <cstdint>

namespace livedeck::gifts {

struct ProductQuote {
    bool ok = false;
    std::int64_t priceCents = 0;
};

class ProductSource {
public:
    using Done = sim::InlineFunction<void(const ProductQuote& quote), 48>;
    virtual ~ProductSource() = default;
    // Product data for an order placed by `caller` (a component of `region`).
    virtual void quote(sim::ComponentId caller, int region, ProductId product, double weight, Done done) = 0;
};

} // namespace livedeck::gifts
