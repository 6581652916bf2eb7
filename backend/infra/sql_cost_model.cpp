#include "backend/infra/sql_cost_model.h"

namespace livedeck::infra {

sim::Nanos SqlCostModel::costNs(const SqlStats& s) const
{
    const auto n = [](std::uint64_t v) { return static_cast<sim::Nanos>(v); };
    sim::Nanos cost = n(s.statements) * statementNs + n(s.vmSteps) * vmStepNs
        + n(s.fullScanSteps) * fullScanStepNs + n(s.sorts) * sortNs + n(s.autoIndexRows) * autoIndexRowNs
        + n(s.rowsReturned) * rowReturnedNs + n(s.rowsChanged) * rowChangedNs + n(s.pageMisses) * pageReadNs;
    if (s.rowsChanged > 0)
        cost += commitNs;
    return cost;
}

} // namespace livedeck::infra
