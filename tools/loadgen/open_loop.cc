#include "tools/loadgen/open_loop.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/async_unary_call.h"
#include "tools/loadgen/unary_call.h"

namespace tokend::loadgen {
namespace {

// How long measured calls still in flight at the window's end are awaited.
constexpr absl::Duration kDrain = absl::Seconds(10);

struct Schedule {
  int64_t first_ns;          // the first call
  double interval_ns;        // between calls
  int64_t measure_start_ns;  // calls due from here on are measured
  int64_t measure_end_ns;    // and none is started from here on

  int64_t Due(int64_t k) const {
    return first_ns + static_cast<int64_t>(std::llround(k * interval_ns));
  }
};

// The whole schedule, on one thread over all channels (round robin): it
// starts each call at its time and handles completions from the same
// completion queue, so no other thread has to wake the one polling (gRPC kicks
// its poller for calls started elsewhere: that capped a pacer-thread design
// near 10,000 calls/s). gRPC's timed waits round to milliseconds, which would
// count as latency: within kSpin of a call's time the thread polls without
// waiting.
class Worker {
 public:
  Worker(const std::vector<std::shared_ptr<grpc::Channel>>& channels, int slots,
         const CallConfig* config, Schedule schedule)
      : config_(config), schedule_(schedule) {
    for (const auto& channel : channels) stubs_.emplace_back(channel);
    for (int i = 0; i < slots; ++i) {
      slots_.push_back(std::make_unique<Slot>());
      free_.push_back(slots_.back().get());
    }
  }

  void Run() {
    constexpr int64_t kSpinNs = 2'000'000;
    int64_t next = 0;    // the next call of the schedule
    bool paced = false;  // every call of the schedule has started
    int64_t drain_at = 0;
    while (!paced || outstanding_ > 0) {
      int64_t now = NowNanos();
      while (!paced) {
        const int64_t due = schedule_.Due(next);
        if (due >= schedule_.measure_end_ns) {
          paced = true;
          drain_at = now + absl::ToInt64Nanoseconds(kDrain);
          break;
        }
        // All slots taken: the call starts when one frees, its wait
        // counted (it is measured from `due`).
        if (due > now || free_.empty()) break;
        Start(due);
        ++next;
      }
      if (paced && outstanding_ == 0) break;
      if (paced && now >= drain_at) {
        for (auto& slot : slots_) {
          if (slot->call.context.has_value()) {
            slot->call.context->TryCancel();
          }
        }
        drain_at = std::numeric_limits<int64_t>::max();
      }
      // Wait for a completion, but not past the next call's time.
      int64_t wake =
          paced ? std::min(drain_at, now + kSpinNs) : schedule_.Due(next);
      if (!paced && free_.empty()) wake = now + kSpinNs;
      const int64_t wait = wake - now;
      const gpr_timespec deadline =
          wait > kSpinNs
              ? gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                             gpr_time_from_nanos(wait - kSpinNs, GPR_TIMESPAN))
              : gpr_time_0(GPR_CLOCK_MONOTONIC);
      void* tag;
      bool ok;
      if (cq_.AsyncNext(&tag, &ok, deadline) ==
          grpc::CompletionQueue::GOT_EVENT) {
        OnDone(static_cast<Slot*>(tag));
      }
    }
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  RunStats& stats() { return stats_; }
  int64_t last_measured_ns() const { return last_measured_ns_; }

 private:
  struct Slot {
    UnaryCall call;
    int64_t due_ns = 0;  // when the schedule meant it to start
    bool measured = false;
  };

  void Start(int64_t due) {
    Slot* slot = free_.back();
    free_.pop_back();
    ++outstanding_;
    slot->due_ns = due;
    slot->measured = due >= schedule_.measure_start_ns;
    if (slot->measured) {
      stats_.start_lag_ns.Record(
          static_cast<uint64_t>(std::max<int64_t>(0, NowNanos() - due)));
    }
    // Round robin over the channels.
    slot->call.Start(stubs_[next_stub_++ % stubs_.size()], &cq_, *config_,
                     slot);
  }

  void OnDone(Slot* slot) {
    const int64_t end_ns = NowNanos();
    if (slot->measured) {
      slot->call.Record(stats_, static_cast<uint64_t>(end_ns - slot->due_ns));
      last_measured_ns_ = std::max(last_measured_ns_, end_ns);
    }
    slot->call.Reset();
    free_.push_back(slot);
    --outstanding_;
  }

  std::vector<grpc::GenericStub> stubs_;
  size_t next_stub_ = 0;
  grpc::CompletionQueue cq_;
  const CallConfig* config_;
  const Schedule schedule_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_;
  int outstanding_ = 0;
  int64_t last_measured_ns_ = 0;
  RunStats stats_;
};

}  // namespace

absl::StatusOr<RunStats> RunOpenLoop(
    const LoadOptions& options, const std::string& method_path,
    const grpc::ByteBuffer& request,
    const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  if (channels.empty()) {
    return absl::InvalidArgumentError("no channels to run on");
  }
  if (!(options.rate > 0) || options.count > 0 ||
      options.duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "an open loop needs a positive rate and a finite duration, no count");
  }
  const int n = static_cast<int>(channels.size());
  if (options.concurrency < n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "concurrency ", options.concurrency, " is below the ", n, " channels"));
  }
  const CallConfig config = CallConfig::Of(options, method_path, request);
  const double interval_ns = 1e9 / options.rate;
  const int64_t start_ns =
      NowNanos() + absl::ToInt64Nanoseconds(absl::Milliseconds(10));
  const int64_t measure_start =
      start_ns + absl::ToInt64Nanoseconds(options.warmup);
  const int64_t measure_end =
      measure_start + absl::ToInt64Nanoseconds(options.duration);
  Worker worker(channels, options.concurrency, &config,
                Schedule{start_ns, interval_ns, measure_start, measure_end});
  worker.Run();
  RunStats total = std::move(worker.stats());
  total.elapsed = absl::Nanoseconds(
      std::max(measure_end, worker.last_measured_ns()) - measure_start);
  return total;
}

}  // namespace tokend::loadgen
