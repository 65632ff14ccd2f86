// The whistle queue: the daemon's IncidentSink. It turns incidents and
// people's reports into whistles (docs/whistles.md), stores them in SQLite
// before anything is published, drains them to the uplink broker
// (emergency first, FIFO within a level, bounded in-flight window, retries
// with backoff), follows the platform's acks and escalates missed deadlines.
#pragma once

#include <memory>

#include "gateway/daemon/component.h"
#include "gateway/mqtt/connection.h"

namespace shaobing::whistle {

// Builds the queue on the configured uplink (none: whistles are stored and
// wait) and sets ctx.incidents to it. Register it before every component
// that raises incidents.
std::unique_ptr<Component> createWhistleQueue(ServiceContext& ctx, const config::Config& cfg);

// Same, on a given uplink connection (tests, benchmarks).
std::unique_ptr<Component> createWhistleQueue(ServiceContext& ctx, const config::Config& cfg,
                                              std::shared_ptr<mqtt::Connection> uplink);

// The topic of `tmpl` with {site}, {level}, {type} and {grid} filled in.
std::string expandTopic(const std::string& tmpl, const std::string& site, const std::string& level,
                        const std::string& type, const std::string& grid);

}  // namespace shaobing::whistle
