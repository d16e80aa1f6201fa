#include "cli/operation_commands.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/plan_command.h"
#include "cli/progress_view.h"
#include "convoy/report/render.h"

namespace convoy::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free, "used from a signal handler");

extern "C" void OnInterrupt(int /*signal*/) { g_interrupts.fetch_add(1); }

double NowUnixS() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The Watch stream, read on its own thread so the caller can redraw, and notice Ctrl-C, while
// no event arrives.
class EventStream {
 public:
  EventStream(v1::Controller::Stub* stub, const std::string& id, uint32_t interval_ms) {
    v1::WatchOperationRequest request;
    request.set_id(id);
    request.set_interval_ms(interval_ms);
    thread_ = std::thread([this, stub, request] {
      auto reader = stub->Watch(&context_, request);
      v1::Event event;
      while (reader->Read(&event)) {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(event);
        cv_.notify_all();
      }
      grpc::Status status = reader->Finish();
      std::lock_guard<std::mutex> lock(mu_);
      status_ = status;
      ended_ = true;
      cv_.notify_all();
    });
  }

  ~EventStream() {
    context_.TryCancel();
    thread_.join();
  }

  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // The events that arrived, waiting up to `timeout` for the first. Empty on timeout or at the
  // end of the stream.
  std::vector<v1::Event> Next(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return !queue_.empty() || ended_; });
    std::vector<v1::Event> events(queue_.begin(), queue_.end());
    queue_.clear();
    return events;
  }

  // Whether the stream ended and every event was taken.
  bool Done() {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_ && queue_.empty();
  }

  grpc::Status status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  grpc::ClientContext context_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::Event> queue_;
  bool ended_ = false;
  grpc::Status status_;
  std::thread thread_;
};

// The live view at the bottom of a terminal: lines printed above it stay (they scroll), the
// frame is erased and drawn again. Only cursor movement and erase sequences are used, so the
// terminal needs no restoring.
class LiveFrame {
 public:
  void Draw(const std::vector<std::string>& above, const std::vector<std::string>& frame) {
    if (above.empty() && frame == shown_ && lines_ == static_cast<int>(frame.size())) return;
    shown_ = frame;
    std::string out = EraseSequence();
    for (const auto& line : above) absl::StrAppend(&out, line, "\n");
    for (const auto& line : frame) absl::StrAppend(&out, line, "\n");
    lines_ = static_cast<int>(frame.size());
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }

  static void Size(int* columns, int* rows) {
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
      *columns = ws.ws_col;
      *rows = ws.ws_row;
    } else {
      *columns = 80;
      *rows = 24;
    }
  }

 private:
  std::string EraseSequence() const {
    if (lines_ == 0) return "";
    return absl::StrCat("\r\x1b[", lines_, "A\x1b[J");
  }

  int lines_ = 0;                   // lines of the frame on the screen, below the cursor's line
  std::vector<std::string> shown_;  // what they say
};

// Why a call about operation `id` failed; "no operation ID" when the controller does not know it.
int NoOperation(const ControllerClient& client, const grpc::Status& status, const std::string& id,
                const std::string& what) {
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    std::cerr << "convoy: no operation " << id << "\n";
  } else {
    std::cerr << "convoy: " << client.Describe(status, what) << "\n";
  }
  return kExitError;
}

grpc::Status GetOperation(ControllerClient* client, const std::string& id, v1::Operation* op) {
  grpc::ClientContext context;
  client->SetDeadline(&context);
  v1::OperationRef ref;
  ref.set_id(id);
  return client->stub()->GetOperation(&context, ref, op);
}

// What the user chose at Ctrl-C.
enum class Interrupt { kGoOn, kCancelled, kDetach };

Interrupt HandleInterrupt(ControllerClient* client, const std::string& id, bool cancelling) {
  if (cancelling || !StdinIsTerminal()) return Interrupt::kDetach;
  auto answer = AskLine(
      absl::StrCat("Cancel operation ", id, "? [y = cancel it, d = stop watching, N = go on] "));
  if (!answer) return Interrupt::kDetach;
  std::string a = *answer;
  a.erase(std::remove_if(a.begin(), a.end(), [](unsigned char c) { return std::isspace(c); }),
          a.end());
  if (a == "d" || a == "D") return Interrupt::kDetach;
  if (!IsYes(a)) {
    std::cerr << "convoy: still watching (Ctrl-C, then d, stops watching)\n";
    return Interrupt::kGoOn;
  }
  grpc::ClientContext context;
  client->SetDeadline(&context);
  v1::OperationRef ref;
  ref.set_id(id);
  v1::Operation op;
  grpc::Status status = client->stub()->Cancel(&context, ref, &op);
  if (!status.ok()) {
    std::cerr << "convoy: " << client->Describe(status, "cancel " + id) << "\n";
    return Interrupt::kGoOn;
  }
  std::cerr << "convoy: cancelling operation " << id
            << ": what has not started stops, running pre-copies are aborted, post-copies "
               "finish (Ctrl-C again stops watching)\n";
  return Interrupt::kCancelled;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

// ---- The terminal --------------------------------------------------------------------------

struct InterruptGuard::Saved {
  struct sigaction action;
};

InterruptGuard::InterruptGuard() : saved_(new Saved{}) {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked read or poll returns
  g_interrupts.store(0);
  sigaction(SIGINT, &action, &saved_->action);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &saved_->action, nullptr);
  delete saved_;
}

bool InterruptGuard::Interrupted() { return g_interrupts.exchange(0) > 0; }

bool StdinIsTerminal() { return isatty(STDIN_FILENO) == 1; }

std::optional<std::string> AskLine(const std::string& question) {
  std::cerr << question << std::flush;
  g_interrupts.store(0);
  std::string line;
  while (true) {
    if (g_interrupts.load() > 0) {
      g_interrupts.store(0);
      std::cerr << "\n";
      return std::nullopt;
    }
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    const int ready = poll(&fd, 1, 100);
    if (ready < 0 && errno != EINTR) return std::nullopt;
    if (ready <= 0) continue;
    char c = 0;
    const ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::cerr << "\n";
      return line.empty() ? std::nullopt : std::optional<std::string>(line);
    }
    if (c == '\n') return line;
    line += c;
  }
}

bool IsYes(const std::string& answer) {
  std::string a;
  for (char c : answer) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      a += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return a == "y" || a == "yes";
}

// ---- Following an operation ------------------------------------------------------------------

int FollowOperation(ControllerClient* client, const std::string& id, const FollowOptions& options) {
  v1::Operation op;
  grpc::Status status = GetOperation(client, id, &op);
  if (!status.ok()) return NoOperation(*client, status, id, "watch");

  const bool live = !options.json && isatty(STDOUT_FILENO) == 1;
  WatchState state = NewWatchState(op);
  LiveFrame frame;
  std::vector<std::string> pending;  // event lines not yet drawn above the live frame
  auto last_draw = Clock::now() - std::chrono::seconds(1);
  auto draw = [&](bool force) {
    if (!live) return;
    const auto now = Clock::now();
    if (!force && now - last_draw < std::chrono::milliseconds(250)) return;
    last_draw = now;
    int columns = 0;
    int rows = 0;
    LiveFrame::Size(&columns, &rows);
    frame.Draw(pending, RenderLive(state, columns, std::max(3, rows / 2), NowUnixS()));
    pending.clear();
  };
  auto erase = [&] {
    if (!live) return;
    frame.Draw(pending, {});
    pending.clear();
  };
  const std::string again =
      absl::StrCat("convoy watch ", id, " --controller ", client->options().address);

  InterruptGuard guard;
  uint64_t last_seq = 0;
  bool cancelling = false;
  auto unreachable_since = Clock::time_point::max();
  while (true) {
    {
      EventStream stream(client->stub(), id, live ? 500 : 1000);
      while (true) {
        for (const v1::Event& e : stream.Next(std::chrono::milliseconds(250))) {
          if (e.seq() != 0) {
            if (e.seq() <= last_seq) continue;  // seen before a reconnection
            last_seq = e.seq();
          }
          unreachable_since = Clock::time_point::max();
          ApplyEvent(e, &state);
          if (options.json) {
            std::cout << RenderProtoJsonLine(e) << std::flush;
          } else if (live) {
            if (e.kind() != "progress") pending.push_back(PlainEventLine(e));
          } else {
            std::cout << PlainEventLine(e) << "\n" << std::flush;
          }
        }
        draw(false);
        if (InterruptGuard::Interrupted()) {
          erase();
          switch (HandleInterrupt(client, id, cancelling)) {
            case Interrupt::kDetach:
              std::cerr << "convoy: stopped watching; operation " << id
                        << " goes on. Watch it again with: " << again << "\n";
              return kExitDetached;
            case Interrupt::kCancelled:
              cancelling = true;
              break;
            case Interrupt::kGoOn:
              break;
          }
          draw(true);
        }
        if (stream.Done()) break;
      }
      status = stream.status();
    }
    if (status.ok()) {
      // The stream ends when the operation ends; make sure it did.
      v1::Operation current;
      grpc::Status get = GetOperation(client, id, &current);
      if (get.ok() && IsFinishedOperationState(current.state())) break;
      if (!get.ok()) status = get;
    }
    // The stream ended early: the controller restarted or went away (our own cancellation only
    // happens on the way out). Its operations resume when it comes back, so keep asking for a
    // while.
    if (status.ok() || status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::CANCELLED) {
      const auto now = Clock::now();
      if (unreachable_since == Clock::time_point::max()) {
        unreachable_since = now;
        erase();
        std::cerr << "convoy: lost the stream of operation " << id
                  << (status.ok() ? std::string()
                                  : absl::StrCat(" (", client->Describe(status, "watch"), ")"))
                  << "; reconnecting\n";
      }
      if (now - unreachable_since <
          std::chrono::milliseconds(static_cast<int64_t>(client->options().timeout_s * 1000))) {
        for (int i = 0; i < 10 && g_interrupts.load() == 0; ++i) {  // Ctrl-C is handled above
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        continue;
      }
    }
    erase();
    if (status.ok()) {
      std::cerr << "convoy: operation " << id << " is " << state.operation_state
                << " but the controller stopped reporting it; try again later: " << again << "\n";
      return kExitError;
    }
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return NoOperation(*client, status, id, "watch");
    }
    std::cerr << "convoy: " << client->Describe(status, "watch " + id) << "\n";
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      std::cerr << "convoy: operation " << id
                << " may still be running; watch it again with: " << again << "\n";
    }
    return kExitError;
  }
  erase();

  status = GetOperation(client, id, &op);
  if (!status.ok()) return NoOperation(*client, status, id, "watch");
  if (options.json) {
    std::cout << RenderProtoJson(op);
  } else {
    if (!live) std::cout << "\n";
    std::cout << RenderSummary(op) << std::flush;
  }
  int code = op.state() == "succeeded" ? kExitOk : kExitOperationFailed;
  if (!options.svg_file.empty()) {
    if (!WriteFile(options.svg_file, report::RenderSvg(op.measured()))) {
      std::cerr << "convoy: cannot write " << options.svg_file << "\n";
      if (code == kExitOk) code = kExitError;
    }
  }
  return code;
}

// ---- The commands ------------------------------------------------------------------------------

void AddOperationCommands(CLI::App* app, int* exit_code) {
  auto controller = std::make_shared<ControllerOptions>();

  auto id = std::make_shared<std::string>();
  auto svg = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  auto* watch = app->add_subcommand(
      "watch",
      "Follow an operation to its end, then compare what happened with the plan.\n"
      "A live view on a terminal, one line per event otherwise. Ctrl-C offers to cancel it.\n"
      "Exit codes: 0 the operation succeeded, 4 it failed or was cancelled, 2 error\n"
      "(controller not reachable, unknown id), 130 stopped watching (it goes on).");
  watch->add_option("id", *id, "The operation's id (convoy ls)")->required();
  watch->add_option("--svg", *svg, "Write the Gantt chart of what actually happened here");
  watch
      ->add_option("--format,-f", *format,
                   "table: live view or event lines and a summary; json: events as JSON "
                   "lines, then the operation")
      ->check(CLI::IsMember({"table", "json"}));
  AddControllerOptions(watch, controller.get());
  watch->callback([=] {
    ControllerClient client(*controller);
    FollowOptions options;
    options.svg_file = *svg;
    options.json = *format == "json";
    *exit_code = FollowOperation(&client, *id, options);
  });

  auto* cancel = app->add_subcommand(
      "cancel",
      "Cancel an operation: what has not started stops, running pre-copies are aborted,\n"
      "post-copies finish; every VM stays running somewhere.\n"
      "Exit codes: 0 cancelling, 2 error (not reachable, unknown id, already ended).");
  cancel->add_option("id", *id, "The operation's id (convoy ls)")->required();
  cancel->add_option("--format,-f", *format, "table | json")
      ->check(CLI::IsMember({"table", "json"}));
  AddControllerOptions(cancel, controller.get());
  cancel->callback([=] {
    ControllerClient client(*controller);
    grpc::ClientContext context;
    client.SetDeadline(&context);
    v1::OperationRef ref;
    ref.set_id(*id);
    v1::Operation op;
    grpc::Status status = client.stub()->Cancel(&context, ref, &op);
    if (!status.ok()) {
      *exit_code = NoOperation(client, status, *id, "cancel");
      return;
    }
    if (*format == "json") {
      std::cout << RenderProtoJson(op);
    } else {
      std::cout << "operation " << op.id() << " " << op.state() << "; follow it with: convoy watch "
                << op.id() << "\n";
    }
    *exit_code = kExitOk;
  });

  auto all = std::make_shared<bool>(false);
  auto* ls = app->add_subcommand("ls", "List the operations (running ones; --all: finished too)");
  ls->add_flag("--all,-a", *all, "Include finished operations");
  ls->add_option("--format,-f", *format, "table | json")->check(CLI::IsMember({"table", "json"}));
  AddControllerOptions(ls, controller.get());
  ls->callback([=] {
    ControllerClient client(*controller);
    grpc::ClientContext context;
    client.SetDeadline(&context);
    v1::ListOperationsRequest request;
    request.set_include_finished(*all);
    v1::ListOperationsResponse response;
    grpc::Status status = client.stub()->ListOperations(&context, request, &response);
    if (!status.ok()) {
      std::cerr << "convoy: " << client.Describe(status, "ls") << "\n";
      *exit_code = kExitError;
      return;
    }
    if (*format == "json") {
      std::cout << RenderProtoJson(response);
    } else {
      std::cout << RenderOperationList(response);
      if (response.operations().empty()) {
        std::cerr << (*all ? "convoy: no operations\n"
                           : "convoy: no operation is running (--all lists finished ones)\n");
      }
    }
    *exit_code = kExitOk;
  });
}

}  // namespace convoy::cli
