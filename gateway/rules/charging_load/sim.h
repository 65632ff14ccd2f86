// Generated power traces with ground truth: the input of the charging-signature
// tests and of its accuracy benchmark (bench/charging_load). A trace is one
// device's day of `power` readings — a smart socket with one appliance, or a
// household meter that sees the sum of a household's appliances — with the
// e-bike charging sessions in it marked.
//
// The appliance models follow their published physics in outline:
//  - e-bike charger: constant current (battery voltage, and so power, rising
//    with the state of charge), then constant voltage with the current decaying
//    exponentially, then off or a few watts of float; optional pre-charge of a
//    deeply discharged pack; mains efficiency 75–92%;
//  - compressors (fridge, dehumidifier): start spike, a decaying start
//    transient, a slow drift, thermostatic or humidistat cycling;
//  - resistive loads with thermostats (heaters, kettles, rice cookers, blankets
//    whose PTC wire draws less as it warms), electronics with content- or
//    load-dependent draw (televisions, computers), small chargers that taper.
// `wide` draws every parameter from wider ranges and adds appliances the tuning
// set never has (a power-tool battery charger, a static-backlight monitor, a
// pedestal fan at full speed): the held-out set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shaobing::powersim {

enum class Role { kSocket, kHouseholdMeter };

struct Reading {
  double t_s = 0;   // seconds from the start of the trace
  double watts = 0;
};

struct Session {
  double start_s = 0;
  double end_s = 0;       // the charger stops drawing more than float power
  double cc_watts = 0;    // power at the start of constant current
  double start_soc = 0;
  double pack_v = 0;
  double amps = 0;
  bool starts_in_cv = false;  // the pack was nearly full: no plateau to see
};

struct Trace {
  Role role = Role::kSocket;
  uint64_t seed = 0;
  double sample_s = 1;   // reporting interval
  bool averaged = false; // readings are interval averages (energy-based meters)
  double duration_s = 0;
  double score_from_s = 0;  // the part before this is warm-up, not scored
  std::vector<Reading> readings;
  std::vector<Session> sessions;
  std::vector<std::string> appliances;  // what else drew power, for breakdowns
};

struct TraceOptions {
  Role role = Role::kSocket;
  bool wide = false;               // held-out ranges and appliances
  double warmup_s = 2 * 3600.0;    // history before the scored day
  double day_s = 24 * 3600.0;
};

// One device-day from `seed`; the same seed and options give the same trace.
Trace generateDay(uint64_t seed, const TraceOptions& options);

// One e-bike charging session alone on a quiet socket, for unit tests.
struct ChargerSpec {
  double pack_v = 48;
  double amps = 3;
  double amp_hours = 20;
  double start_soc = 0.3;
  double efficiency = 0.85;
  double noise = 0.01;       // relative, per reading
  double sample_s = 10;
  double lead_s = 600;       // silence before the plug-in
  double length_s = 4 * 3600.0;
};
Trace chargerAlone(uint64_t seed, const ChargerSpec& spec);

}  // namespace shaobing::powersim
