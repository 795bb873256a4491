#include "tools/loadgen/open_loop.h"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/alarm.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/async_unary_call.h"

namespace tokend::loadgen {
namespace {

// How long measured calls still in flight at the window's end are awaited.
constexpr absl::Duration kDrain = absl::Seconds(10);

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Schedule {
  int64_t first_ns;          // this worker's first call
  double interval_ns;        // between its calls
  int64_t measure_start_ns;  // calls due from here on are measured
  int64_t measure_end_ns;    // and none is started from here on

  int64_t Due(int64_t k) const {
    return first_ns + static_cast<int64_t>(std::llround(k * interval_ns));
  }
};

struct CallConfig {
  std::string method_path;
  grpc::ByteBuffer request;
  Metadata metadata;
  std::shared_ptr<grpc::CallCredentials> credentials;
  absl::Duration timeout;  // infinite: none
};

// One channel's share of the schedule: a pacer thread starts each call at
// its time (clock_nanosleep with a 1 ns timer slack: gRPC's own alarms fire
// up to a millisecond late, which would count as latency), and the
// completion-queue thread records and frees the calls.
class Worker {
 public:
  Worker(std::shared_ptr<grpc::Channel> channel, int slots,
         const CallConfig* config, Schedule schedule)
      : stub_(std::move(channel)), config_(config), schedule_(schedule) {
    for (int i = 0; i < slots; ++i) {
      slots_.push_back(std::make_unique<Slot>());
      free_.push_back(slots_.back().get());
    }
  }

  void Run() {
    std::thread pacer([this] { Pace(); });
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
      if (tag == &drain_) {
        for (auto& slot : slots_) {
          if (slot->context.has_value()) slot->context->TryCancel();
        }
      } else if (tag != &wake_) {
        OnDone(static_cast<Slot*>(tag));
      }
      absl::MutexLock lock(&mu_);
      if (paced_ && outstanding_ == 0) break;
    }
    pacer.join();
    wake_.Cancel();
    drain_.Cancel();
    cq_.Shutdown();
    while (cq_.Next(&tag, &ok)) {
    }
  }

  RunStats& stats() { return stats_; }
  int64_t last_measured_ns() const { return last_measured_ns_; }

 private:
  struct Slot {
    std::optional<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> reader;
    grpc::ByteBuffer response;
    grpc::Status status;
    int64_t due_ns = 0;  // when the schedule meant it to start
    bool measured = false;
  };

  void Pace() {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    for (int64_t k = 0;; ++k) {
      const int64_t due = schedule_.Due(k);
      if (due >= schedule_.measure_end_ns) break;
      const timespec at = {static_cast<time_t>(due / 1000000000),
                           static_cast<long>(due % 1000000000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) ==
             EINTR) {
      }
      Slot* slot;
      {
        // All taken: the call starts when one frees, late, and its wait
        // counts (it is measured from `due`).
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](std::vector<Slot*>* free) { return !free->empty(); }, &free_));
        slot = free_.back();
        free_.pop_back();
        ++outstanding_;
      }
      Start(slot, due);
    }
    {
      absl::MutexLock lock(&mu_);
      paced_ = true;
    }
    const gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
    wake_.Set(&cq_, now, &wake_);
    drain_.Set(
        &cq_,
        gpr_time_add(now, gpr_time_from_nanos(absl::ToInt64Nanoseconds(kDrain),
                                              GPR_TIMESPAN)),
        &drain_);
  }

  void Start(Slot* slot, int64_t due) {
    slot->due_ns = due;
    slot->measured = due >= schedule_.measure_start_ns;
    grpc::ClientContext& context = slot->context.emplace();
    for (const auto& [key, value] : config_->metadata) {
      context.AddMetadata(key, value);
    }
    if (config_->credentials != nullptr) {
      context.set_credentials(config_->credentials);
    }
    if (config_->timeout != absl::InfiniteDuration()) {
      context.set_deadline(absl::ToChronoTime(absl::Now() + config_->timeout));
    }
    slot->reader = stub_.PrepareUnaryCall(&context, config_->method_path,
                                          config_->request, &cq_);
    slot->reader->StartCall();
    slot->reader->Finish(&slot->response, &slot->status, slot);
  }

  void OnDone(Slot* slot) {
    const int64_t end_ns = NowNanos();
    if (slot->measured) {
      const int code = static_cast<int>(slot->status.error_code());
      stats_.Record(code, static_cast<uint64_t>(end_ns - slot->due_ns),
                    code == 0
                        ? absl::string_view()
                        : absl::string_view(slot->status.error_message()));
      last_measured_ns_ = std::max(last_measured_ns_, end_ns);
    }
    slot->reader.reset();
    slot->context.reset();
    slot->response.Clear();
    slot->status = grpc::Status();
    absl::MutexLock lock(&mu_);
    free_.push_back(slot);
    --outstanding_;
  }

  grpc::GenericStub stub_;
  grpc::CompletionQueue cq_;
  grpc::Alarm wake_;   // the pacer is done: look whether all is
  grpc::Alarm drain_;  // measured calls outlived the drain limit
  const CallConfig* config_;
  const Schedule schedule_;
  std::vector<std::unique_ptr<Slot>> slots_;
  absl::Mutex mu_;
  std::vector<Slot*> free_ ABSL_GUARDED_BY(mu_);
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  bool paced_ ABSL_GUARDED_BY(mu_) = false;
  // The completion-queue thread's.
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
  CallConfig config{
      method_path, request, options.metadata, options.call_credentials,
      options.call_timeout <= absl::ZeroDuration() ? absl::InfiniteDuration()
                                                   : options.call_timeout};
  // Worker i takes calls i, i + n, i + 2n, … of one schedule at `rate`.
  const double interval_ns = 1e9 / options.rate;
  const int64_t start_ns =
      NowNanos() + absl::ToInt64Nanoseconds(absl::Milliseconds(10));
  const int64_t measure_start =
      start_ns + absl::ToInt64Nanoseconds(options.warmup);
  const int64_t measure_end =
      measure_start + absl::ToInt64Nanoseconds(options.duration);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < n; ++i) {
    const int slots =
        options.concurrency / n + (i < options.concurrency % n ? 1 : 0);
    Schedule schedule{
        start_ns + static_cast<int64_t>(std::llround(i * interval_ns)),
        interval_ns * n, measure_start, measure_end};
    workers.push_back(
        std::make_unique<Worker>(channels[i], slots, &config, schedule));
  }
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([w = worker.get()] { w->Run(); });
  }
  for (auto& thread : threads) thread.join();

  RunStats total;
  int64_t last = measure_end;
  for (auto& worker : workers) {
    total.Merge(worker->stats());
    last = std::max(last, worker->last_measured_ns());
  }
  total.elapsed = absl::Nanoseconds(last - measure_start);
  return total;
}

}  // namespace tokend::loadgen
