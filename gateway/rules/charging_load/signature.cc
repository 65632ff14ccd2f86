// The charger-signature classifier; see signature.h.
#include "gateway/rules/charging_load/signature.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace shaobing::rules::charging {

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<long>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

constexpr size_t kSettledKept = 5;
constexpr size_t kMaxLoads = 16;
constexpr double kEdgeConfirmS = 20;  // a step must hold this long to count
constexpr double kEvalEveryS = 10;

}  // namespace

bool setParam(SignatureParams& p, const std::string& name, double v) {
  const std::map<std::string, double*> fields = {
      {"min_w", &p.min_w}, {"max_w", &p.max_w}, {"edge_w", &p.edge_w}, {"settle_s", &p.settle_s},
      {"confirm_s", &p.confirm_s}, {"hold_s", &p.hold_s}, {"give_up_s", &p.give_up_s},
      {"max_settling", &p.max_settling}, {"max_rel_rmse", &p.max_rel_rmse}, {"min_trend", &p.min_trend},
      {"max_trend", &p.max_trend}, {"max_trend_uncertainty", &p.max_trend_uncertainty},
      {"cycle_window_s", &p.cycle_window_s}, {"cycle_tolerance", &p.cycle_tolerance},
      {"cycle_max_on_s", &p.cycle_max_on_s}, {"cycle_settle_tolerance", &p.cycle_settle_tolerance},
      {"max_start_overshoot", &p.max_start_overshoot}};
  if (name == "cycle_repeats") {
    p.cycle_repeats = static_cast<int>(v);
    return true;
  }
  auto it = fields.find(name);
  if (it == fields.end()) return false;
  *it->second = v;
  return true;
}

ChargingSignature::ChargingSignature(SignatureParams params) : p_(params) {}

double ChargingSignature::threshold() const { return std::max(p_.edge_w, 2.5 * noise_); }

ChargingSignature::Update ChargingSignature::add(double t, double w) {
  Update u;
  if (!std::isfinite(t) || !std::isfinite(w) || w < 0) return u;
  if (started_ && t < last_t_) {
    ++stats_.out_of_order;
    return u;
  }
  ++stats_.readings;
  const bool was_charging = charging();
  if (!started_) {
    started_ = true;
    last_t_ = t;
    level_ = w;
    settled_.push_back(w);
    return u;
  }
  last_t_ = t;
  const double dev = w - level_;
  if (std::abs(dev) <= threshold()) {
    pending_.clear();
    onSettled(t, w);
    noise_ = 0.97 * noise_ + 0.03 * std::abs(dev);
  } else {
    if (!pending_.empty() && (pending_.front().w - level_) * dev < 0) pending_.clear();
    pending_.push_back({t, w});
    if (pending_.size() >= 2 && t - pending_.front().t >= kEdgeConfirmS) {
      const double last = pending_.back().w, prev = pending_[pending_.size() - 2].w;
      if (std::abs(last - prev) <= std::max(threshold(), 0.1 * std::abs(dev))) {
        // The first reading after a step may be a start spike or half an
        // interval (meters that report interval averages): it is left out.
        std::vector<double> after;
        for (size_t i = 1; i < pending_.size(); ++i) after.push_back(pending_[i].w);
        const double next = median(after);
        const double t_edge = pending_.front().t;
        const double magnitude = next - level_;
        level_ = next;
        settled_.assign(after.begin(), after.end());
        while (settled_.size() > kSettledKept) settled_.pop_front();
        const std::vector<Sample> step = std::move(pending_);
        pending_.clear();
        onEdge(t_edge, magnitude, step);
      }
    }
  }
  for (auto& l : loads_) {
    if (l.tracked && pending_.empty() && t > l.t_on && t < l.t_on + p_.settle_s && l.t_on != t) {
      l.start_sum += w - l.base - l.adjust;
      ++l.start_n;
    }
    if (l.tracked && pending_.empty() && t >= l.t_on + p_.settle_s && t <= l.t_on + p_.settle_s + 120) {
      l.early_sum += w - l.base - l.adjust;
      ++l.early_n;
    }
    if (!l.tracked || l.recognised || l.judged_out || t - l.last_eval < kEvalEveryS) continue;
    judge(l, t);
    if (l.recognised && !u.started) u.started = l.detection;
  }
  // A recognised charger whose own power has tapered away has ended.
  for (auto it = loads_.begin(); it != loads_.end();) {
    if (it->tracked && it->own_now < std::max(12.0, 0.2 * it->magnitude) && t - it->t_on > p_.settle_s) {
      history_.push_back({it->t_on, t, it->magnitude});
      it = loads_.erase(it);
    } else {
      ++it;
    }
  }
  while (!history_.empty() && t - history_.front().t_off > p_.cycle_window_s) history_.pop_front();
  while (!edge_times_.empty() && t - edge_times_.front() > p_.give_up_s) edge_times_.erase(edge_times_.begin());
  u.ended = was_charging && !charging();
  return u;
}

void ChargingSignature::onSettled(double t, double w) {
  settled_.push_back(w);
  while (settled_.size() > kSettledKept) settled_.pop_front();
  level_ = median(std::vector<double>(settled_.begin(), settled_.end()));
  // Each tracked load's own power: the aggregate less what it stood on and
  // what switched since. Readings just after another step are left out.
  const double guard = std::max(2 * p_.settle_s / 3, 30.0);
  bool near_edge = false;
  for (double e : edge_times_) near_edge |= std::abs(t - e) < guard;
  for (auto& l : loads_) {
    if (!l.tracked) continue;
    l.own_now = level_ - l.base - l.adjust;
    if (t - l.t_on < p_.settle_s || near_edge) continue;
    l.own.push_back({t, w - l.base - l.adjust, l.seg});
    while (!l.own.empty() && t - l.own.front().t > p_.give_up_s + p_.confirm_s) l.own.pop_front();
  }
}

void ChargingSignature::onEdge(double t, double magnitude, const std::vector<Sample>& step) {
  ++stats_.edges;
  edge_times_.push_back(t);
  const double before = level_ - magnitude;
  for (auto& l : loads_) ++l.seg;
  if (magnitude > 0) {
    for (auto& l : loads_) l.adjust += magnitude;
    Load l;
    l.t_on = t;
    l.magnitude = magnitude;
    l.base = before;
    l.own_now = magnitude;
    l.noise_before = noise_;
    // Its first minute, from the readings that made the step (the very first
    // may be a spike or half an interval): a compressor starts high and settles.
    for (size_t i = 1; i < step.size(); ++i) {
      if (step[i].t - t >= p_.settle_s) break;
      l.start_sum += step[i].w - before;
      ++l.start_n;
    }
    l.tracked = magnitude >= 0.85 * p_.min_w && magnitude <= 1.15 * p_.max_w;
    if (l.tracked) ++stats_.candidates;
    loads_.push_back(std::move(l));
    if (loads_.size() > kMaxLoads) {
      auto victim = std::find_if(loads_.begin(), loads_.end(), [](const Load& x) { return !x.tracked; });
      loads_.erase(victim != loads_.end() ? victim : loads_.begin());
    }
    return;
  }
  // A step down: the open load whose power it matches best has switched off.
  const double d = -magnitude;
  auto best = loads_.end();
  double best_err = 1e18;
  for (auto it = loads_.begin(); it != loads_.end(); ++it) {
    const double size = it->tracked ? it->own_now : it->magnitude;
    const double err = std::abs(size - d);
    if (err <= std::max(0.3 * d, 30.0) && err < best_err) {
      best_err = err;
      best = it;
    }
  }
  // Every step down is remembered: appliances that cycle step down by the
  // same size again and again (a step matched to no load counts as a short one).
  history_.push_back({best != loads_.end() ? best->t_on : t, t, d});
  if (best != loads_.end()) {
    loads_.erase(best);
  } else {
    // Nothing that size is on: a load in the charger range that can lose that
    // much has stepped down itself (compressors and PTC heaters do; a charger
    // at constant current does not).
    Load* own = nullptr;
    for (auto& l : loads_) {
      if (l.tracked && l.own_now > 1.2 * d && t - l.t_on <= p_.settle_s + p_.confirm_s &&
          (own == nullptr || l.t_on > own->t_on)) {
        own = &l;
      }
    }
    if (own != nullptr) {
      own->shrunk += d;
      own->own_now -= d;
      for (auto& l : loads_) {
        if (&l != own) l.adjust -= d;
      }
      return;
    }
  }
  for (auto& l : loads_) {
    l.adjust -= d;
    l.own_now = level_ - l.base - l.adjust;
  }
}

bool ChargingSignature::cycling(const Load& l, double now) const {
  // Its size as it started, in its first minutes and now: small loads that
  // switched unseen since may have added to it.
  const double sizes[] = {l.own_now, l.magnitude, l.early_n ? l.early_sum / l.early_n : l.own_now};
  int same = 0;
  for (const auto& c : history_) {
    if (now - c.t_off > p_.cycle_window_s || c.t_off - c.t_on > p_.cycle_max_on_s) continue;
    // A compressor settles during each run: it steps down by less than it drew early on.
    for (double size : sizes) {
      if (c.watts <= size * (1 + p_.cycle_tolerance) && c.watts >= size * (1 - p_.cycle_settle_tolerance)) {
        ++same;
        break;
      }
    }
  }
  return same >= p_.cycle_repeats;
}

void ChargingSignature::judge(Load& l, double now) {
  l.last_eval = now;
  if (now - l.t_on > p_.give_up_s) {
    l.judged_out = true;
    ++stats_.gave_up;
    return;
  }
  if (now - l.t_on < p_.settle_s + p_.confirm_s) return;
  // The last confirm_s of its own power, enough of it, spread over the window.
  std::vector<Sample> win;
  for (const auto& s : l.own) {
    if (s.t >= now - p_.confirm_s) win.push_back(s);
  }
  if (win.size() < 6 || win.back().t - win.front().t < 0.75 * p_.confirm_s) return;
  // One slope through every stretch between other appliances' steps, each
  // stretch with its own offset: a step measured a little wrong shifts a
  // stretch, not the slope or the scatter.
  std::map<int, std::pair<double, double>> centre;  // seg -> (mean t, mean w)
  std::map<int, int> count;
  double wm = 0;
  for (const auto& s : win) {
    centre[s.seg].first += s.t;
    centre[s.seg].second += s.w;
    ++count[s.seg];
    wm += s.w;
  }
  wm /= static_cast<double>(win.size());
  for (auto& [seg, c] : centre) {
    c.first /= count[seg];
    c.second /= count[seg];
  }
  double sxx = 0, sxy = 0;
  for (const auto& s : win) {
    const auto& c = centre[s.seg];
    sxx += (s.t - c.first) * (s.t - c.first);
    sxy += (s.t - c.first) * (s.w - c.second);
  }
  const double slope = sxx > 0 ? sxy / sxx : 0;
  double sse = 0;
  for (const auto& s : win) {
    const auto& c = centre[s.seg];
    const double r = s.w - (c.second + slope * (s.t - c.first));
    sse += r * r;
  }
  const double tm = centre.rbegin()->second.first;
  wm = centre.rbegin()->second.second;  // the level of the latest stretch
  const auto dof = static_cast<double>(win.size() - centre.size());
  if (dof < 4) return;
  const double rmse = std::sqrt(sse / dof);
  double trend = slope * 600 / std::max(wm, 1.0);
  // How well the window pins the trend down: with a noisy household behind
  // it, a trend is judged only as far as it is known.
  double trend_se = sxx > 0 ? std::sqrt(sse / dof / sxx) * 600 / std::max(wm, 1.0) : 1.0;
  // Another appliance that started since settles too (a compressor, a PTC
  // heater) and bends the aggregate: the stretch from the load's own start to
  // the next step of another appliance is the clean one, when it is long enough.
  {
    double st = 0, sw = 0;
    int n = 0;
    for (const auto& s : l.own) {
      if (s.seg != 0) break;
      st += s.t;
      sw += s.w;
      ++n;
    }
    if (n >= 4) {
      st /= n;
      sw /= n;
      double xx = 0, xy = 0, first = 1e18, last = -1e18;
      for (const auto& s : l.own) {
        if (s.seg != 0) break;
        xx += (s.t - st) * (s.t - st);
        xy += (s.t - st) * (s.w - sw);
        first = std::min(first, s.t);
        last = std::max(last, s.t);
      }
      if (last - first >= 0.5 * p_.confirm_s && xx > 0) {
        const double b = xy / xx;
        double e = 0;
        for (const auto& s : l.own) {
          if (s.seg != 0) break;
          const double r = s.w - (sw + b * (s.t - st));
          e += r * r;
        }
        trend = b * 600 / std::max(sw, 1.0);
        trend_se = std::sqrt(e / std::max(1, n - 2) / xx) * 600 / std::max(sw, 1.0);
      }
    }
  }
  // The scatter of what else draws power adds to the charger's own: the
  // aggregate after its start may scatter as much as before it plus a flat
  // charger's share (variances add; 1.25 turns mean absolute deviation into rms).
  const double before_rms = 1.25 * l.noise_before;
  const double flat_allowed = std::sqrt(before_rms * before_rms + std::pow(p_.max_rel_rmse * wm, 2)) + 1;
  const double now_w = wm + slope * (now - tm);
  const char* fail = nullptr;
  if (wm < p_.min_w || wm > p_.max_w) {
    ++stats_.rejected_level;
    fail = "level";
  } else if (rmse > flat_allowed) {
    ++stats_.rejected_flatness;
    fail = "flatness";
  } else if (trend + 2 * trend_se < p_.min_trend ||
             trend - 2 * trend_se > p_.max_trend || trend_se > p_.max_trend_uncertainty) {
    ++stats_.rejected_trend;
    fail = "trend";
  } else if (l.shrunk > p_.max_settling * 4 * now_w ||
             (l.early_n > 0 && now_w < (l.early_sum / l.early_n) * (1 - p_.max_settling)) ||
             (l.start_n >= 2 && l.early_n > 0 &&
              l.start_sum / l.start_n > (l.early_sum / l.early_n) * (1 + p_.max_start_overshoot))) {
    ++stats_.rejected_settling;
    fail = "settling";
  }
  // A pack put on charge nearly full goes straight into constant voltage:
  // no plateau, but an exponential decay that keeps its pace, unlike a
  // compressor or PTC heater, whose decay slows as it settles.
  bool taper = false;
  if (fail != nullptr && std::string(fail) != "level" && std::string(fail) != "flatness") {
    taper = looksLikeTaper(l);
    if (taper) fail = nullptr;
  }
  if (trace_ != nullptr) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "t %.0f on %.0f: %.0f W scatter %.1f/%.1f trend %+.3f±%.3f early %.0f shrunk %.0f noise %.1f -> %s",
                  now, l.t_on, wm, rmse, flat_allowed, trend, trend_se, l.early_n ? l.early_sum / l.early_n : 0.0,
                  l.shrunk, l.noise_before, fail ? fail : "pass");
    trace_->push_back(line);
  }
  if (fail != nullptr) {
    l.passing_since = -1;
    return;
  }
  if (l.passing_since < 0) l.passing_since = now;
  if (now - l.passing_since < p_.hold_s) return;
  if (trace_ != nullptr) {
    std::string sizes;
    for (const auto& c : history_) {
      if (now - c.t_off <= p_.cycle_window_s) sizes += " " + std::to_string(static_cast<int>(c.watts));
    }
    trace_->push_back("t " + std::to_string(static_cast<long>(now)) + " cycling check own " +
                      std::to_string(static_cast<int>(l.own_now)) + " against down-steps" + sizes);
  }
  if (cycling(l, now)) {
    ++stats_.rejected_cycling;
    l.judged_out = true;
    return;
  }
  ++stats_.recognised;
  l.recognised = true;
  Detection& d = l.detection;
  d.started_at_s = l.t_on;
  d.detected_at_s = now;
  d.watts = now_w;
  d.trend = trend;
  d.scatter = rmse / wm;
  const double flat_margin = std::clamp(1.0 - rmse / flat_allowed, 0.0, 1.0);
  const double rising = std::clamp(trend / 0.01, 0.0, 1.0);
  const double span = std::clamp((now - l.t_on - p_.confirm_s) / 1200.0, 0.0, 1.0);
  d.confidence = std::round((0.5 + 0.2 * flat_margin + 0.15 * rising + 0.15 * span) * 100) / 100;
  if (taper) {
    d.phase = "constant_voltage";
    d.confidence = std::round((0.5 + 0.15 * span) * 100) / 100;
  }
}

bool ChargingSignature::looksLikeTaper(const Load& l) const {
  // Its own power since it settled, up to the first step of anything else.
  std::vector<Sample> v;
  for (const auto& s : l.own) {
    if (s.seg != 0) break;
    if (s.w > 5) v.push_back(s);
  }
  if (v.size() < 8 || v.back().t - v.front().t < p_.confirm_s) return false;
  const double early = l.early_n ? l.early_sum / l.early_n : v.front().w;
  if (early < 0.8 * p_.min_w || early > 1.1 * p_.max_w) return false;
  // log(power) against time: one slope overall, and one per half.
  auto fit = [](const std::vector<Sample>& xs, size_t from, size_t to, double& k, double& rms) {
    double tm = 0, ym = 0;
    const auto n = static_cast<double>(to - from);
    for (size_t i = from; i < to; ++i) {
      tm += xs[i].t;
      ym += std::log(xs[i].w);
    }
    tm /= n;
    ym /= n;
    double xx = 0, xy = 0;
    for (size_t i = from; i < to; ++i) {
      xx += (xs[i].t - tm) * (xs[i].t - tm);
      xy += (xs[i].t - tm) * (std::log(xs[i].w) - ym);
    }
    k = xx > 0 ? xy / xx : 0;
    double e = 0;
    for (size_t i = from; i < to; ++i) {
      const double r = std::log(xs[i].w) - (ym + k * (xs[i].t - tm));
      e += r * r;
    }
    rms = std::sqrt(e / n);
  };
  double k = 0, rms = 0, k1 = 0, r1 = 0, k2 = 0, r2 = 0;
  fit(v, 0, v.size(), k, rms);
  fit(v, 0, v.size() / 2, k1, r1);
  fit(v, v.size() / 2, v.size(), k2, r2);
  if (k >= 0 || k1 >= 0 || k2 >= 0) return false;
  const double tau_min = -1 / k / 60;
  if (tau_min < p_.taper_min_tau_s / 60 || tau_min > p_.taper_max_tau_s / 60) return false;
  const double pace = k2 / k1;  // an exponential keeps its pace: about 1
  if (pace < 0.75 || pace > 1.4) return false;
  return rms <= p_.max_rel_rmse + 1.25 * l.noise_before / early;
}

bool ChargingSignature::charging() const {
  return std::any_of(loads_.begin(), loads_.end(), [](const Load& l) { return l.recognised; });
}

std::optional<Detection> ChargingSignature::current() const {
  for (auto it = loads_.rbegin(); it != loads_.rend(); ++it) {
    if (it->recognised) {
      Detection d = it->detection;
      d.watts = it->own_now;
      if (d.watts < 0.85 * it->magnitude) d.phase = "constant_voltage";
      return d;
    }
  }
  return std::nullopt;
}

}  // namespace shaobing::rules::charging
