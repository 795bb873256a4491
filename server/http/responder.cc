#include "server/http/responder.h"

#include <utility>

#include "server/http/server_error.h"

namespace tokend::http::internal {
namespace {

thread_local const ResponseSink* current_inline_sink = nullptr;

}  // namespace

InlineScope::InlineScope(ResponseSink* sink) : previous_(current_inline_sink) {
  current_inline_sink = sink;
}

InlineScope::~InlineScope() { current_inline_sink = previous_; }

const ResponseSink* InlineScope::Current() { return current_inline_sink; }

// Delivers through the gate (a friend, to keep the gate's lock private).
class ResponderCall {
 public:
  static void Deliver(ResponderGate& gate,
                      const std::weak_ptr<ResponseSink>& sink,
                      ResponseSink* sink_address, uint64_t sequence,
                      HttpResponse response) {
    // Inside the sink's own handler call the sink is alive and the server
    // running; comparing addresses needs no lock.
    if (sink_address != nullptr && InlineScope::Current() == sink_address) {
      sink_address->DeliverInline(sequence, std::move(response));
      return;
    }
    absl::ReaderMutexLock lock(&gate.mu_);
    if (!gate.open_) return;
    // The connection may be gone (closed, or the server stopped): a no-op.
    if (std::shared_ptr<ResponseSink> target = sink.lock()) {
      try {
        target->Deliver(sequence, std::move(response));
      } catch (const std::exception&) {
        // Queueing failed (out of memory). The response is lost and the
        // connection stays open until the server shuts down; without memory
        // nothing better is possible, and the handler must not see a throw.
      }
    }
  }
};

namespace {

// The callable inside Responder. Moved-from instances have no gate and do
// nothing when destroyed.
class ResponderImpl {
 public:
  ResponderImpl(std::shared_ptr<ResponderGate> gate,
                std::weak_ptr<ResponseSink> sink, uint64_t sequence)
      : gate_(std::move(gate)),
        sink_(std::move(sink)),
        // Only ever compared with InlineScope::Current(), never followed
        // outside that scope.
        sink_address_(sink_.lock().get()),
        sequence_(sequence) {}

  ResponderImpl(ResponderImpl&& other) noexcept
      : gate_(std::move(other.gate_)),
        sink_(std::move(other.sink_)),
        sink_address_(other.sink_address_),
        sequence_(other.sequence_) {}
  ResponderImpl& operator=(ResponderImpl&&) = delete;

  ~ResponderImpl() {
    // Dropped without an answer: answer for the handler, or the connection
    // would wait for a response that never comes.
    if (gate_ != nullptr) {
      ResponderCall::Deliver(
          *gate_, sink_, sink_address_, sequence_,
          ServerErrorResponse(500, "the handler dropped the request"));
    }
  }

  void operator()(HttpResponse response) && {
    std::shared_ptr<ResponderGate> gate = std::move(gate_);
    if (gate == nullptr) return;  // Called twice: contract broken, ignore.
    ResponderCall::Deliver(*gate, sink_, sink_address_, sequence_,
                           std::move(response));
  }

 private:
  std::shared_ptr<ResponderGate> gate_;
  std::weak_ptr<ResponseSink> sink_;
  ResponseSink* sink_address_;
  uint64_t sequence_;
};

}  // namespace

Responder MakeResponder(std::shared_ptr<ResponderGate> gate,
                        std::weak_ptr<ResponseSink> sink, uint64_t sequence) {
  return Responder(ResponderImpl(std::move(gate), std::move(sink), sequence));
}

}  // namespace tokend::http::internal
