// SOLive's order-aware migration order (Fernando, Yang, Lu, "SDN-based Order-aware Live Migration
// of Virtual Machines", seed 002, sections IV-C and IV-D): the order in which to migrate, one after
// another, the VMs of a host being evicted, so that the VMs whose departure frees outgoing
// bandwidth on the source go first and those whose arrival takes incoming bandwidth on the
// destination go last. A pure function; internal to src/plan.
//
// Each VM falls in one of three classes by its application traffic, and the classes go in this
// order (the paper's "first ... Next ... Finally", IV-C and IV-D):
//   1. outgoing-heavy, out - in > balanced_mbps:   ascending N / (out - in);
//   2. balanced,       |out - in| <= balanced_mbps: descending unique dirty rate S, then
//                                                   descending N;
//   3. incoming-heavy, in - out > balanced_mbps:   descending N / (in - out).
// Pre-copy (IV-D) also weighs S: among outgoing-heavy VMs with the same N / (out - in) the lower S
// goes first, and among incoming-heavy VMs with the same N / (in - out) the higher S goes first.
// Post-copy (IV-C) does not use S in those two classes. Every remaining tie goes to the lower id,
// then to the earlier position in `vms`. Why each rule reads as it does, with the paper's words,
// is in solive_order.cc.
//
// Units: N in MiB, traffic in Mb/s, S in MiB/s, so the ratios are MiB per Mb/s. The units do not
// change the order as long as every VM uses the same ones.
#pragma once

#include <string>
#include <vector>

namespace convoy::plan {

struct SoliveVm {
  int id = 0;                     // caller's index; copied to the result, need not be unique
  double non_zero_mib = 0;        // N: size of the non-zero pages, MiB
  double out_mbps = 0;            // the VM's outgoing application traffic, Mb/s
  double in_mbps = 0;             // its incoming application traffic, Mb/s
  double unique_dirty_mibps = 0;  // S: unique page dirty rate, MiB/s
};

enum class SoliveMode { kPostCopy, kPreCopy };

struct SoliveOrder {
  std::vector<int> ids;          // migration order, first migrated first; one entry per input VM
  std::vector<std::string> why;  // per position: the VM's class and the key it was sorted by,
                                 // starting "outgoing-heavy", "balanced" or "incoming-heavy"
};

// Default for `balanced_mbps`: 10 Mb/s, 1% of the paper's 1 Gb/s link. The paper gives no figure
// (it only says "about the same incoming and outgoing network usage"). In its measurements the
// VMs it treats as balanced carry "about 0", the acknowledgements of its iPerf VMs are 0.18% to
// 0.28% of the link (2-3 Mb/s), and the least net traffic of a VM it treats as network-intensive is
// NI's 14.52% - 0.18% = 143 Mb/s; 10 Mb/s lies well between the two. On faster links, scale it
// (about 1% of the link).
inline constexpr double kSoliveBalancedMbps = 10;

// The SOLive migration order of `vms` for `mode` (rules above).
//
// Contract: `ids` and `why` have one entry per VM of `vms`; `vms` empty gives both empty. The
// result depends only on the arguments (no state, no randomness). A VM with out == in is always
// balanced, so no ratio divides by zero. Inputs are expected finite and non-negative; a NaN or
// negative figure is treated as 0 and +infinity as the largest finite double, so the order is
// still total and deterministic; a NaN or negative `balanced_mbps` is treated as 0.
SoliveOrder OrderForEviction(const std::vector<SoliveVm>& vms, SoliveMode mode,
                             double balanced_mbps = kSoliveBalancedMbps);

}  // namespace convoy::plan
