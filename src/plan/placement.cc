// Placement: a destination for every VM that leaves an evacuated host.
//
// Source host after source host (request order), the VMs of one source go to a single
// destination when one has room for all of them (one flow per source pair, as in seed 000's
// scenarios), otherwise VM by VM, largest first. Among the first `placement_candidates`
// destinations with room, the best is, in this order: one already online (or already being
// booted) rather than a host to boot; the one whose flow from this source lands on the least
// used member of every link aggregate on the path (seed 000 A3); the one with the fewest
// incoming VMs so far (spreading over NICs); the earliest in the candidate list.
// Greedy choice can corner a later source whose flows hash onto one member only, so a repair
// pass follows: a source placed whole moves to another destination with room when that lowers
// the load on the members its flow crosses, until no move helps.
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_format.h"
#include "src/plan/problem.h"

namespace convoy::plan {
namespace {

struct Room {
  double vcpus = 0;
  double memory_mib = 0;
};

class Placer {
 public:
  Placer(Problem* p, const std::vector<int>& candidates) : p_(p), m_(*p->model) {
    // Online hosts first, then the ones that would have to boot; stable within each.
    candidates_ = candidates;
    std::stable_partition(candidates_.begin(), candidates_.end(),
                          [&](int h) { return m_.hosts()[h].online; });
    room_.resize(m_.hosts().size());
    for (std::size_t h = 0; h < m_.hosts().size(); ++h) {
      room_[h] = {m_.hosts()[h].vcpu_capacity, m_.hosts()[h].memory_mib};
    }
    for (const auto& vm : m_.vms()) Take(vm.host, vm.vcpus, vm.memory_mib);
    incoming_.assign(m_.hosts().size(), 0);
    chosen_.assign(m_.hosts().size(), false);
    for (const auto& mover : p_->movers) {
      if (mover.dst < 0) continue;
      // Explicit moves: the VM leaves its host and takes room at the destination.
      const auto& vm = m_.vms()[mover.vm];
      Take(vm.host, -vm.vcpus, -vm.memory_mib);
      Take(mover.dst, vm.vcpus, vm.memory_mib);
      Commit(mover.src, mover.dst);
    }
    // What leaves an evacuated host is not counted against it; what arrives at a candidate is.
    // Room on evacuated hosts is never offered (they are not candidates).
  }

  void PlaceAll() {
    std::map<int, std::vector<Mover*>> by_source;
    for (auto& mover : p_->movers) {
      if (mover.dst < 0) by_source[mover.src].push_back(&mover);
    }
    for (int src : p_->evacuation_order) {
      auto it = by_source.find(src);
      if (it == by_source.end()) continue;
      auto& movers = it->second;
      std::stable_sort(movers.begin(), movers.end(), [&](const Mover* a, const Mover* b) {
        return m_.vms()[a->vm].memory_mib > m_.vms()[b->vm].memory_mib;
      });
      double vcpus = 0, memory = 0;
      for (const Mover* mv : movers) {
        vcpus += m_.vms()[mv->vm].vcpus;
        memory += m_.vms()[mv->vm].memory_mib;
      }
      int whole = Best(src, vcpus, memory);
      for (Mover* mv : movers) {
        const auto& vm = m_.vms()[mv->vm];
        int dst = whole >= 0 ? whole : Best(src, vm.vcpus, vm.memory_mib);
        if (dst < 0) {
          p_->reasons.push_back(absl::StrFormat(
              "VM %s: no destination has room for %d vCPUs and %.0f MiB (host %s is being "
              "evacuated)",
              vm.name, vm.vcpus, vm.memory_mib, m_.hosts()[src].name));
          continue;
        }
        mv->dst = dst;
        Take(dst, vm.vcpus, vm.memory_mib);
        Commit(src, dst);
      }
      if (whole >= 0) wholes_.push_back({src, whole, vcpus, memory, &movers});
    }
    Repair();
    for (const auto& mover : p_->movers) {
      if (mover.dst >= 0 && !m_.hosts()[mover.dst].online) p_->needs_boot[mover.dst] = true;
    }
  }

 private:
  struct Whole {
    int src;
    int dst;
    double vcpus;
    double memory_mib;
    std::vector<Mover*>* movers;
  };

  // Moves whole sources to destinations whose aggregate members are less loaded.
  void Repair() {
    for (int pass = 0; pass < 8; ++pass) {
      bool moved = false;
      for (Whole& w : wholes_) {
        Uncommit(w.src, w.dst, w.movers->size());
        Take(w.dst, -w.vcpus, -w.memory_mib);
        const int load = MemberLoad(w.src, w.dst);
        int best = w.dst;
        if (load > 0) {
          int best_load = load;
          int looked = 0;
          for (std::size_t i = first_open_; i < candidates_.size(); ++i) {
            const int h = candidates_[i];
            if (!Fits(h, w.vcpus, w.memory_mib)) continue;
            if (!m_.hosts()[h].online && !chosen_[h]) continue;  // never boot one more host
            const int l = MemberLoad(w.src, h);
            if (l < best_load) {
              best_load = l;
              best = h;
            }
            if (++looked >= p_->options.placement_candidates) break;
          }
        }
        moved |= best != w.dst;
        w.dst = best;
        Take(w.dst, w.vcpus, w.memory_mib);
        for (Mover* mv : *w.movers) {
          mv->dst = best;
          Commit(w.src, best);
        }
      }
      moved |= Swaps();
      if (!moved) return;
    }
  }

  // Member loads a flow src->dst would add to, the members it would use written to `members`.
  int LoadAndMembers(int src, int dst, std::vector<int>* members) {
    members->clear();
    if (!m_.FlowResources(src, dst, &path_).ok()) return std::numeric_limits<int>::max() / 4;
    int load = 0;
    for (std::size_t i = 1; i + 1 < path_.size(); ++i) {
      load += member_load_[path_[i]];
      members->push_back(path_[i]);
    }
    return load;
  }

  // Cost of running flows a and b together: the loads they add to, plus one for each member
  // they would share with each other.
  int PairCost(int a_src, int a_dst, int b_src, int b_dst) {
    std::vector<int> ma, mb;
    int cost = LoadAndMembers(a_src, a_dst, &ma) + LoadAndMembers(b_src, b_dst, &mb);
    for (int r : ma) cost += static_cast<int>(std::count(mb.begin(), mb.end(), r));
    return cost;
  }

  // Swaps the destinations of two whole sources when that lowers their member cost and both
  // fit. Tries each source against the next `placement_candidates` ones. True if any swapped.
  bool Swaps() {
    bool swapped = false;
    const std::size_t n = wholes_.size();
    const std::size_t window =
        std::min<std::size_t>(n, static_cast<std::size_t>(p_->options.placement_candidates));
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 1; k < window; ++k) {
        Whole& a = wholes_[i];
        Whole& b = wholes_[(i + k) % n];
        if (a.dst == b.dst) continue;
        Uncommit(a.src, a.dst, a.movers->size());
        Uncommit(b.src, b.dst, b.movers->size());
        Take(a.dst, -a.vcpus, -a.memory_mib);
        Take(b.dst, -b.vcpus, -b.memory_mib);
        const bool fits = Fits(b.dst, a.vcpus, a.memory_mib) && Fits(a.dst, b.vcpus, b.memory_mib);
        if (fits && PairCost(a.src, b.dst, b.src, a.dst) < PairCost(a.src, a.dst, b.src, b.dst)) {
          std::swap(a.dst, b.dst);
          swapped = true;
        }
        for (Whole* w : {&a, &b}) {
          Take(w->dst, w->vcpus, w->memory_mib);
          for (Mover* mv : *w->movers) {
            mv->dst = w->dst;
            Commit(w->src, w->dst);
          }
        }
      }
    }
    return swapped;
  }

  void Uncommit(int src, int dst, std::size_t vms) {
    incoming_[dst] -= static_cast<int>(vms);
    pairs_.erase({src, dst});
    if (m_.FlowResources(src, dst, &path_).ok()) {
      for (std::size_t i = 1; i + 1 < path_.size(); ++i) --member_load_[path_[i]];
    }
  }

  void Take(int host, double vcpus, double memory_mib) {
    room_[host].vcpus -= vcpus;
    room_[host].memory_mib -= memory_mib;
  }

  bool Fits(int host, double vcpus, double memory_mib) const {
    return room_[host].vcpus + 1e-9 >= vcpus && room_[host].memory_mib + 1e-9 >= memory_mib;
  }

  // Load already placed on the aggregate members a src->dst flow would use.
  int MemberLoad(int src, int dst) {
    if (m_.FlowResources(src, dst, &path_).ok()) {
      int load = 0;
      for (std::size_t i = 1; i + 1 < path_.size(); ++i) load += member_load_[path_[i]];
      return load;
    }
    return std::numeric_limits<int>::max();
  }

  void Commit(int src, int dst) {
    ++incoming_[dst];
    chosen_[dst] = true;
    auto pair = std::make_pair(src, dst);
    if (!pairs_.insert(pair).second) return;
    if (m_.FlowResources(src, dst, &path_).ok()) {
      for (std::size_t i = 1; i + 1 < path_.size(); ++i) ++member_load_[path_[i]];
    }
  }

  // The best destination for `vcpus`/`memory_mib` leaving `src`, or -1.
  int Best(int src, double vcpus, double memory_mib) {
    using Score = std::tuple<int, int, int, std::size_t>;
    Score best{std::numeric_limits<int>::max(), 0, 0, 0};
    int best_host = -1;
    int looked = 0;
    // Skip the full hosts at the front for good.
    while (first_open_ < candidates_.size() && room_[candidates_[first_open_]].vcpus < 1) {
      ++first_open_;
    }
    for (std::size_t i = first_open_; i < candidates_.size(); ++i) {
      const int h = candidates_[i];
      if (!Fits(h, vcpus, memory_mib)) continue;
      const bool boots = !m_.hosts()[h].online && !chosen_[h];
      Score score{boots ? 1 : 0, MemberLoad(src, h), incoming_[h], i};
      if (std::get<1>(score) == std::numeric_limits<int>::max()) continue;  // unreachable
      if (score < best) {
        best = score;
        best_host = h;
      }
      if (++looked >= p_->options.placement_candidates) break;
    }
    return best_host;
  }

  Problem* p_;
  const model::ClusterModel& m_;
  std::vector<int> candidates_;
  std::size_t first_open_ = 0;
  std::vector<Room> room_;
  std::vector<int> incoming_;
  std::vector<bool> chosen_;
  std::map<int, int> member_load_;
  std::set<std::pair<int, int>> pairs_;
  std::vector<Whole> wholes_;
  std::vector<int> path_;
};

}  // namespace

void PlaceMovers(Problem* problem, const std::vector<int>& candidates) {
  Placer placer(problem, candidates);
  placer.PlaceAll();
}

}  // namespace convoy::plan
