// COMMA's heuristic (seed 001 section 3.3.2), made fast: the paper's pair merging, the groups
// ordered for least impact, then the VM sequence re-split into consecutive groups and improved by
// moving single VMs (small apps). See comma.h.
#include "src/plan/comma.h"

#include "src/plan/comma_model.h"

namespace convoy::plan::comma {

using namespace internal;  // NOLINT(google-build-using-namespace): this module's own internals

namespace {

// Orders `groups` for least impact: exactly, by dynamic programming over subsets of groups, when
// there are at most 16 groups and 32 VMs; else greedily, taking next the group that leaves the
// least traffic across the cut per second it lasts.
std::vector<std::vector<int>> OrderGroups(const Model& m, const Traffic& t,
                                          const std::vector<std::vector<int>>& groups) {
  const int g = static_cast<int>(groups.size());
  std::vector<double> duration(g);
  std::vector<int> scratch;
  for (int i = 0; i < g; ++i) duration[i] = BestDuration(m, groups[i], &scratch);
  std::vector<int> order;
  if (g <= 16 && m.n <= kDenseMax) {
    const uint32_t full = (1U << g) - 1;
    // The VMs of each set of groups and the traffic across its cut, from the set less its
    // lowest group: cut(S + v) = cut(S) + degree(v) - 2 traffic(v, S).
    std::vector<uint32_t> vms_of(full + 1, 0);
    std::vector<double> cut(full + 1, 0);
    for (uint32_t s = 1; s <= full; ++s) {
      const uint32_t rest = s & (s - 1);
      uint32_t vms = vms_of[rest];
      double c = cut[rest];
      for (int vm : groups[std::countr_zero(s)]) {
        c += t.degree[vm] - 2 * t.ToSet(vm, vms);
        vms |= 1U << vm;
      }
      vms_of[s] = vms;
      cut[s] = c;
    }
    std::vector<double> best(full + 1, kInf);
    std::vector<int> last(full + 1, -1);
    best[0] = 0;
    for (uint32_t s = 0; s <= full; ++s) {
      if (last[s] < 0 && s != 0) continue;
      for (int i = 0; i < g; ++i) {
        if (s >> i & 1U) continue;
        const uint32_t next = s | 1U << i;
        const double cost = best[s] + duration[i] * cut[s];
        // Near ties (rounding) keep the first order found; a first reach counts even at inf.
        if (last[next] < 0 || cost < best[next] - 1e-12 * (1 + best[next])) {
          best[next] = cost;
          last[next] = i;
        }
      }
    }
    for (uint32_t s = full; s != 0; s &= ~(1U << last[s])) order.push_back(last[s]);
    std::reverse(order.begin(), order.end());
  } else {
    // Adding group i to the VMs done moves the cut by ext(i) - 2 to_done(i), where ext(i) is the
    // traffic between its VMs and all others and to_done(i) that with the VMs done; to_done is
    // kept up to date from the rows of the VMs of each group taken.
    std::vector<int> group_of(m.n, -1);
    for (int i = 0; i < g; ++i) {
      for (int vm : groups[i]) group_of[vm] = i;
    }
    std::vector<double> ext(g, 0);
    std::vector<double> to_done(g, 0);
    for (int i = 0; i < g; ++i) {
      for (int vm : groups[i]) {
        const double* row = t.Row(vm);
        ext[i] += t.degree[vm];
        for (int other : groups[i]) {
          if (other != vm) ext[i] -= row[other];
        }
      }
    }
    std::vector<bool> used(g, false);
    double cut = 0;
    for (int step = 0; step < g; ++step) {
      int pick = -1;
      double pick_score = kInf;
      double pick_cut = 0;
      for (int i = 0; i < g; ++i) {
        if (used[i]) continue;
        const double next_cut = cut + ext[i] - 2 * to_done[i];
        const double score = duration[i] * cut + next_cut * duration[i];
        if (pick < 0 || score < pick_score) {
          pick_score = score;
          pick = i;
          pick_cut = next_cut;
        }
      }
      used[pick] = true;
      for (int vm : groups[pick]) {
        const double* row = t.Row(vm);
        for (int u = 0; u < m.n; ++u) to_done[group_of[u]] += row[u];  // vm's own: not read
      }
      cut = pick_cut;
      order.push_back(pick);
    }
  }
  std::vector<std::vector<int>> ordered;
  ordered.reserve(g);
  for (int i : order) ordered.push_back(groups[i]);
  return ordered;
}

struct Pair {
  double kbps;
  int a, b;
};

// The pairs of VMs that talk, by descending traffic, ties in (a, b) order (a stable sort of the
// pairs listed row by row). Many pairs are first spread over buckets by traffic, in one pass;
// only the buckets are then sorted.
std::vector<Pair> PairsByTraffic(const CommaApp& app) {
  const int n = static_cast<int>(app.vms.size());
  // Counted, then listed without branching on the traffic (half the pairs may talk, at random).
  std::size_t count = 0;
  for (int i = 0; i < n; ++i) {
    const std::vector<double>& row = app.traffic_kbps[i];
    for (int j = i + 1; j < n; ++j) count += row[j] > 0 ? 1 : 0;
  }
  std::vector<Pair> pairs(count + 1);
  double low = kInf;
  double high = 0;
  std::size_t at = 0;
  for (int i = 0; i < n; ++i) {
    const std::vector<double>& row = app.traffic_kbps[i];
    for (int j = i + 1; j < n; ++j) {
      const double kbps = row[j];
      pairs[at] = {kbps, i, j};
      const bool talks = kbps > 0;
      at += talks ? 1 : 0;
      low = std::min(low, talks ? kbps : kInf);
      high = std::max(high, talks ? kbps : 0.0);
    }
  }
  pairs.pop_back();
  auto before = [](const Pair& x, const Pair& y) {
    if (x.kbps != y.kbps) return x.kbps > y.kbps;
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  };
  const std::size_t buckets = pairs.size() / 8;
  const double scale = static_cast<double>(buckets - 1) / (high - low);
  if (pairs.size() < 1024 || !(high > low) || !std::isfinite(scale)) {
    std::sort(pairs.begin(), pairs.end(), before);
    return pairs;
  }
  // Bucket b holds traffic in (high - (b + 1) / scale, high - b / scale]: descending, and the
  // rounding keeps it monotone.
  auto bucket = [&](double kbps) {
    return std::min(buckets - 1, static_cast<std::size_t>((high - kbps) * scale));
  };
  std::vector<std::size_t> start(buckets + 1, 0);
  for (const Pair& p : pairs) ++start[bucket(p.kbps) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<Pair> sorted(pairs.size());
  std::vector<std::size_t> next(start.begin(), start.end() - 1);
  for (const Pair& p : pairs) sorted[next[bucket(p.kbps)]++] = p;
  for (std::size_t b = 0; b < buckets; ++b) {
    Pair* first = sorted.data() + start[b];
    Pair* last = sorted.data() + start[b + 1];
    if (last - first > 16) {
      std::sort(first, last, before);
      continue;
    }
    for (Pair* p = first + 1; p < last; ++p) {  // insertion sort: buckets hold a few pairs
      const Pair x = *p;
      Pair* q = p;
      for (; q > first && before(x, q[-1]); --q) *q = q[-1];
      *q = x;
    }
  }
  return sorted;
}

// Group durations by member set, filled as they are asked for (small apps). A set has one bit
// per VM at the VM's rank in the initial start order, so its members come out of the bits
// already in that order and only the neighbour exchanges remain to be done.
class DurationMemo {
 public:
  explicit DurationMemo(const Model& m) : m_(m), by_rank_(m.n), rank_(m.n) {
    std::iota(by_rank_.begin(), by_rank_.end(), 0);
    std::sort(by_rank_.begin(), by_rank_.end(),
              [&](int a, int b) { return StartsBefore(m, a, b); });
    for (int r = 0; r < m.n; ++r) rank_[by_rank_[r]] = 1U << r;
    if (m.n <= 16) {
      direct_.assign(std::size_t{1} << m.n, -1);
    } else {
      keys_.assign(1024, 0);
      values_.assign(1024, 0);
    }
    members_.resize(m.n);
  }

  // The bit of VM v in a set.
  uint32_t Bit(int v) const { return rank_[v]; }

  double Get(uint32_t set) {
    if (!direct_.empty()) {
      double& d = direct_[set];
      if (d < 0) d = Compute(set);
      return d;
    }
    std::size_t mask = keys_.size() - 1;
    std::size_t h = (set * 0x9E3779B1U) & mask;
    for (; keys_[h] != 0; h = (h + 1) & mask) {
      if (keys_[h] == set) return values_[h];
    }
    const double d = Compute(set);
    if (2 * (used_ + 1) > keys_.size()) {
      Grow();
      mask = keys_.size() - 1;
      for (h = (set * 0x9E3779B1U) & mask; keys_[h] != 0; h = (h + 1) & mask) {
      }
    }
    keys_[h] = set;
    values_[h] = d;
    ++used_;
    return d;
  }

 private:
  double Compute(uint32_t set) {
    int k = 0;
    for (uint32_t b = set; b != 0; b &= b - 1) members_[k++] = by_rank_[std::countr_zero(b)];
    return ImproveOrder(m_, members_.data(), k);
  }

  void Grow() {
    std::vector<uint32_t> keys(keys_.size() * 2, 0);
    std::vector<double> values(keys.size(), 0);
    const std::size_t mask = keys.size() - 1;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == 0) continue;
      std::size_t h = (keys_[i] * 0x9E3779B1U) & mask;
      while (keys[h] != 0) h = (h + 1) & mask;
      keys[h] = keys_[i];
      values[h] = values_[i];
    }
    keys_ = std::move(keys);
    values_ = std::move(values);
  }

  const Model& m_;
  std::vector<int> by_rank_;    // VMs in initial start order
  std::vector<uint32_t> rank_;  // the bit of each VM
  std::vector<double> direct_;  // by set, -1 until computed (n <= 16)
  std::vector<uint32_t> keys_;  // open addressing, 0 = empty (n > 16)
  std::vector<double> values_;
  std::size_t used_ = 0;
  std::vector<int> members_;
};

// The best split of a VM sequence into consecutive valid groups, by dynamic programming over
// prefixes: best[k] = least impact (then least time) having moved the first k VMs of the sequence.
// Keeps the tables of an accepted (base) sequence so that a candidate differing from it only at
// positions [lo, hi] is evaluated from lo on: best[0..lo] and cut[0..lo], cut[hi + 1..n] carry
// over.
class Segmenter {
 public:
  Segmenter(const Model& m, const Traffic& t, bool memoize) : m_(m), t_(t) {
    const int n = m.n;
    for (Tables* tab : {&base_, &cand_}) {
      tab->cut.assign(n + 1, 0);
      tab->best.assign(n + 1, kInf);
      tab->time.assign(n + 1, kInf);
      tab->from.assign(n + 1, -1);
      tab->prefix.assign(n + 1, 0);
    }
    base_.best[0] = cand_.best[0] = 0;
    base_.time[0] = cand_.time[0] = 0;
    if (memoize) memo_.emplace(m);
    window_.reserve(n);
    scratch_.reserve(n);
  }

  // Impact (MB) of the best split of `seq`, which equals the base sequence outside [lo, hi]
  // (pass lo = 0, hi = n for a first sequence). Gives up with some value >= `bound` once a
  // prefix costs that much: best[n] >= best[k], since cutting the group that spans position k
  // short at k makes it no longer.
  double Evaluate(const std::vector<int>& seq, int lo, int hi, double bound = kInf) {
    const int n = m_.n;
    Tables& c = cand_;
    std::copy(base_.cut.begin(), base_.cut.begin() + lo + 1, c.cut.begin());
    std::copy(base_.best.begin(), base_.best.begin() + lo + 1, c.best.begin());
    std::copy(base_.time.begin(), base_.time.begin() + lo + 1, c.time.begin());
    std::copy(base_.from.begin(), base_.from.begin() + lo + 1, c.from.begin());
    if (hi < n) std::copy(base_.cut.begin() + hi + 1, base_.cut.end(), c.cut.begin() + hi + 1);
    // cut[k]: traffic between the first k VMs and the rest.
    if (memo_) {
      std::copy(base_.prefix.begin(), base_.prefix.begin() + lo + 1, c.prefix.begin());
      for (int k = lo; k < std::min(hi, n); ++k) {
        const int v = seq[k];
        c.cut[k + 1] = c.cut[k] + t_.degree[v] - 2 * t_.ToSet(v, c.prefix[k]);
        c.prefix[k + 1] = c.prefix[k] | 1U << v;
      }
      for (int k = hi; k < n; ++k) c.prefix[k + 1] = c.prefix[k] | 1U << seq[k];
    } else {
      in_.assign(n, 0);
      for (int k = 0; k < lo; ++k) in_[seq[k]] = 1;
      for (int k = lo; k < std::min(hi, n); ++k) {
        const int v = seq[k];
        const double* row = t_.Row(v);
        double to_in = 0;
        for (int u = 0; u < n; ++u) to_in += in_[u] ? row[u] : 0.0;
        c.cut[k + 1] = c.cut[k] + t_.degree[v] - 2 * to_in;
        in_[v] = 1;
      }
    }
    const double* dirty_of = m_.dirty.data();
    const double* cut = c.cut.data();
    double* best_at = c.best.data();
    double* time_at = c.time.data();
    for (int k = lo + 1; k <= n; ++k) {
      double best = kInf;
      double best_time = kInf;
      int from = -1;
      double dirty = 0;
      uint32_t set = 0;
      window_.clear();
      for (int j = k - 1; j >= 0; --j) {  // the last group is seq[j..k-1]
        const int v = seq[j];
        dirty += dirty_of[v];
        if (!m_.Fits(dirty)) break;
        double duration;
        if (memo_) {
          set |= memo_->Bit(v);
          duration = memo_->Get(set);
        } else {
          auto at = std::upper_bound(window_.begin(), window_.end(), v,
                                     [&](int a, int b) { return StartsBefore(m_, a, b); });
          window_.insert(at, v);
          scratch_.assign(window_.begin(), window_.end());
          duration = ImproveOrder(m_, scratch_.data(), static_cast<int>(scratch_.size()));
        }
        const double cost = best_at[j] + duration * cut[j] * kMbPerKbpsSecond;
        const double time = time_at[j] + duration;
        // Near ties (often no impact at all): the shorter schedule, then the longer last group.
        if (cost < best - 1e-12 || (cost <= best + 1e-12 && time <= best_time)) {
          best = cost;
          best_time = time;
          from = j;
        }
      }
      best_at[k] = best;
      time_at[k] = best_time;
      c.from[k] = from;
      if (best >= bound) return best;
    }
    return best_at[n];
  }

  // The last sequence evaluated becomes the base.
  void Accept() { std::swap(base_, cand_); }

  // The groups of the base sequence `seq`.
  std::vector<std::vector<int>> Groups(const std::vector<int>& seq) const {
    std::vector<std::vector<int>> groups;
    for (int i = m_.n; i > 0;) {
      const int from = base_.from[i] >= 0 ? base_.from[i] : i - 1;  // none valid: one VM
      groups.emplace_back(seq.begin() + from, seq.begin() + i);
      i = from;
    }
    std::reverse(groups.begin(), groups.end());
    return groups;
  }

 private:
  struct Tables {
    std::vector<double> cut;
    std::vector<double> best;
    std::vector<double> time;  // of the split that reaches best (stage 2 only)
    std::vector<int> from;
    std::vector<uint32_t> prefix;  // the first k VMs as bits (memoized mode)
  };

  const Model& m_;
  const Traffic& t_;
  std::optional<DurationMemo> memo_;  // small apps
  Tables base_;
  Tables cand_;
  std::vector<int> window_;  // the last group so far, in initial start order
  std::vector<int> scratch_;
  std::vector<char> in_;
};

}  // namespace

CommaSchedule ScheduleHeuristic(const CommaApp& app) {
  const Model m = Derive(app);
  if (m.n == 0) return {};
  const Traffic traffic = MakeTraffic(app, m.n);
  const std::vector<Pair> pairs = PairsByTraffic(app);
  std::vector<int> group_of(m.n, -1);
  std::vector<std::vector<int>> groups;
  std::vector<double> group_dirty;
  auto fits = [&](double dirty) { return m.Fits(dirty); };
  auto open = [&](std::vector<int> members) {
    double dirty = 0;
    for (int vm : members) dirty += m.dirty[vm];
    for (int vm : members) group_of[vm] = static_cast<int>(groups.size());
    groups.push_back(std::move(members));
    group_dirty.push_back(dirty);
  };
  for (const Pair& p : pairs) {
    const int ga = group_of[p.a];
    const int gb = group_of[p.b];
    if (ga < 0 && gb < 0) {  // case 1
      if (fits(m.dirty[p.a] + m.dirty[p.b])) {
        open({p.a, p.b});
      } else {
        open({p.a});
        open({p.b});
      }
    } else if (ga < 0 || gb < 0) {  // case 2
      const int in = ga < 0 ? gb : ga;
      const int vm = ga < 0 ? p.a : p.b;
      if (fits(group_dirty[in] + m.dirty[vm])) {
        groups[in].push_back(vm);
        group_dirty[in] += m.dirty[vm];
        group_of[vm] = in;
      } else {
        open({vm});
      }
    } else if (ga != gb && fits(group_dirty[ga] + group_dirty[gb])) {  // case 3
      for (int vm : groups[gb]) group_of[vm] = ga;
      groups[ga].insert(groups[ga].end(), groups[gb].begin(), groups[gb].end());
      group_dirty[ga] += group_dirty[gb];
      groups[gb].clear();
      group_dirty[gb] = 0;
    }
  }
  // VMs that talk to nobody join the first group with room (they add no impact anywhere).
  for (int vm = 0; vm < m.n; ++vm) {
    if (group_of[vm] >= 0) continue;
    bool placed = false;
    for (std::size_t g = 0; g < groups.size() && !placed; ++g) {
      if (!groups[g].empty() && fits(group_dirty[g] + m.dirty[vm])) {
        groups[g].push_back(vm);
        group_dirty[g] += m.dirty[vm];
        group_of[vm] = static_cast<int>(g);
        placed = true;
      }
    }
    if (!placed) open({vm});
  }
  std::erase_if(groups, [](const auto& g) { return g.empty(); });
  // The paper's groups, ordered, give a sequence of VMs; the best split of that sequence into
  // consecutive groups is at least as good, and moves of one VM in the sequence (small apps
  // only) improve it further.
  std::vector<int> seq;
  seq.reserve(m.n);
  for (const auto& group : OrderGroups(m, traffic, groups))
    seq.insert(seq.end(), group.begin(), group.end());
  Segmenter segmenter(m, traffic, /*memoize=*/m.n <= kLocalSearchMax);
  double impact = segmenter.Evaluate(seq, 0, m.n);
  segmenter.Accept();
  if (m.n <= kLocalSearchMax) {
    // Moves of one VM to another place in the sequence, while one helps (at most 4 passes);
    // each candidate is evaluated from the first position it changes.
    std::vector<int> moved(m.n);
    int exchanged = -1;  // i: the exchange of positions i - 1 and i was tried on this sequence
    for (int pass = 0; pass < 4; ++pass) {
      bool improved = false;
      for (int i = 0; i < m.n; ++i) {
        for (int j = 0; j < m.n; ++j) {
          if (i == j || (j == i - 1 && exchanged == i)) continue;  // same as moving i - 1 to i
          std::copy(seq.begin(), seq.end(), moved.begin());
          if (i < j) {
            std::rotate(moved.begin() + i, moved.begin() + i + 1, moved.begin() + j + 1);
          } else {
            std::rotate(moved.begin() + j, moved.begin() + i, moved.begin() + i + 1);
          }
          const double bound = impact - 1e-9;
          const double candidate = segmenter.Evaluate(moved, std::min(i, j), std::max(i, j), bound);
          if (j == i + 1) exchanged = j;
          if (candidate < bound) {
            impact = candidate;
            segmenter.Accept();
            std::swap(seq, moved);
            improved = true;
            exchanged = -1;
          }
        }
      }
      if (!improved) break;
    }
  }
  return Layout(m, segmenter.Groups(seq));
}

}  // namespace convoy::plan::comma
