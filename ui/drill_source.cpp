#include "ui/drill_source.h"

#include "backend/drills/builtin_drills.h"
#include "backend/drills/drill_loader.h"
#include "backend/drills/drill_run.h"
#include "backend/sim/offload.h"
#include "ui/logging.h"

namespace livedeck::ui {

QStringList builtinDrillNames()
{
    QStringList names;
    for (const drills::BuiltinDrill& d : drills::builtinDrills())
        if (d.error.empty())
            names.push_back(QString::fromStdString(d.name));
    return names;
}

QString defaultDrillName()
{
    return QString::fromStdString(drills::defaultBuiltinDrill(kDefaultDrill));
}

namespace {

std::unique_ptr<EmbeddedCluster> clusterFromSpec(const absl::StatusOr<drills::DrillSpec>& spec, const QString& fileOrName,
                                                 std::optional<std::uint64_t> seed, EmbeddedOptions options,
                                                 QString* error)
{
    const auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return std::unique_ptr<EmbeddedCluster>();
    };
    if (!spec.ok())
        return fail(QString::fromStdString(std::string(spec.status().message())));
    drills::DrillRunOptions runOptions;
    runOptions.seed = seed;
    // The world's thread and the GUI's share the machine: with a core to spare, the SQL
    // replicas' applies and primaries' writes run beside the world (the same trace either way).
    runOptions.helperThread = sim::Offload::helperWanted();
    // Build once here so errors surface now, with the loader's position.
    absl::StatusOr<std::unique_ptr<drills::DrillRun>> first = drills::DrillRun::create(*spec, runOptions);
    if (!first.ok())
        return fail(QString::fromStdString(std::string(first.status().message())));
    options.seed = (*first)->seed();
    auto shared = std::make_shared<std::unique_ptr<drills::DrillRun>>(std::move(*first));
    auto specCopy = std::make_shared<const drills::DrillSpec>(*spec);
    EmbeddedCluster::RunFactory factory = [shared, specCopy, runOptions]() -> std::unique_ptr<host::HostedRun> {
        if (*shared) // the run built above serves the first start
            return std::move(*shared);
        absl::StatusOr<std::unique_ptr<drills::DrillRun>> run = drills::DrillRun::create(*specCopy, runOptions);
        // The same spec and seed built once already; failing now is a defect.
        Q_ASSERT_X(run.ok(), "makeDrillCluster", "a drill that built once failed to build again");
        return run.ok() ? std::unique_ptr<host::HostedRun>(std::move(*run)) : nullptr;
    };
    qCInfo(lcSource) << "drill" << fileOrName << "seed" << options.seed;
    auto cluster = std::make_unique<EmbeddedCluster>(std::move(factory), options);
    cluster->setLocation(fileOrName);
    return cluster;
}

} // namespace

std::unique_ptr<EmbeddedCluster> makeDrillCluster(const QString& fileOrName, std::optional<std::uint64_t> seed,
                                                  EmbeddedOptions options, QString* error)
{
    return clusterFromSpec(drills::resolveDrill(fileOrName.toStdString()), fileOrName, seed, options, error);
}

std::unique_ptr<EmbeddedCluster> makeDrillClusterFromText(const QString& text, const QString& fileName,
                                                          std::optional<std::uint64_t> seed, EmbeddedOptions options,
                                                          QString* error)
{
    const std::string name = fileName.toStdString();
    return clusterFromSpec(drills::loadDrill(text.toStdString(), name), fileName, seed, options, error);
}

} // namespace livedeck::ui
