// `convoy watch`, `convoy cancel` and `convoy ls`: following and managing the controller's
// operations. FollowOperation is also how `convoy evacuate` follows what it submitted.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/controller_client.h"

namespace convoy::cli {

struct FollowOptions {
  std::string svg_file;  // when set: the Gantt chart of what actually happened is written here
  bool json = false;     // events as JSON lines, then the final Operation as JSON, on stdout
};

// Follows operation `id` to its end and prints a summary of measured against predicted.
//  - stdout a terminal (and not json): a live view redrawn in place at most 4 times a second,
//    events scrolling above it; otherwise one plain line per event (PlainEventLine).
//  - The controller's history comes first (it keeps every event), so a late watcher misses
//    nothing; when the controller goes away mid-way the stream is re-opened (events already
//    seen are skipped) for up to the client's timeout.
//  - Ctrl-C asks whether to cancel the operation (y), stop watching (d) or go on (no); with no
//    terminal on stdin, or at the second Ctrl-C once cancelling, it stops watching. The
//    terminal is left as it was (no mode changes; the live frame is erased first).
// Returns kExitOk when the operation succeeded, kExitOperationFailed when it failed or was
// cancelled, kExitDetached when the user stopped watching, kExitError when the controller
// cannot be reached, the id is unknown ("no operation ID") or the SVG cannot be written.
int FollowOperation(ControllerClient* client, const std::string& id, const FollowOptions& options);

// Adds `watch`, `cancel` and `ls` to `app`. The chosen command runs from its callback, which
// stores its exit code in *exit_code.
void AddOperationCommands(CLI::App* app, int* exit_code);

// ---- The terminal, shared with evacuate --------------------------------------------------

// While alive, Ctrl-C (SIGINT) is counted instead of ending the process (Interrupted() tells);
// the previous handler comes back on destruction. Not nestable.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // Whether Ctrl-C was pressed since the last call (which resets it).
  static bool Interrupted();

 private:
  struct Saved;
  Saved* saved_;
};

// Whether standard input is a terminal an operator can answer on.
bool StdinIsTerminal();

// Writes `question` to stderr and reads one line from stdin. nullopt at end of input, or when
// Ctrl-C is pressed while an InterruptGuard is alive.
std::optional<std::string> AskLine(const std::string& question);

// Whether an answer means yes: "y" or "yes", any case, surrounding spaces ignored.
bool IsYes(const std::string& answer);

}  // namespace convoy::cli
