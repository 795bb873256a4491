// The Responder handed to the handler, and what it talks to. Internal to
// server/http.
//
// A responder holds only a weak reference to its connection: a handler that
// keeps one after the client went away keeps no socket open. It also holds
// the server's gate, which the server closes before tearing down its io
// context, so a responder called late (even after the server is destroyed)
// never touches Asio objects that are gone.
#ifndef TOKEND_SERVER_HTTP_RESPONDER_H_
#define TOKEND_SERVER_HTTP_RESPONDER_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/http/http_message.h"

namespace tokend::http::internal {

// Open while the server's io context exists. Responders take it shared (they
// only contend with the server closing it).
class ResponderGate {
 public:
  // Blocks until responders inside the gate are done; afterwards every
  // responder call is a no-op.
  void Close() {
    absl::MutexLock lock(&mu_);
    open_ = false;
  }

  // Runs `f` if the gate is open, holding it open meanwhile.
  template <class F>
  void RunIfOpen(F&& f) {
    absl::ReaderMutexLock lock(&mu_);
    if (open_) f();
  }

 private:
  friend class ResponderCall;
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
};

// Where a response goes: a connection. `sequence` identifies the request it
// answers, unique in the process (so a stale responder can never match a
// later request, even on a connection reusing a dead one's address).
class ResponseSink {
 public:
  // From any thread.
  virtual void Deliver(uint64_t sequence, HttpResponse response) = 0;
  // Only on the thread running this sink's handler call, inside an
  // InlineScope for it.
  virtual void DeliverInline(uint64_t sequence, HttpResponse response) = 0;

 protected:
  ~ResponseSink() = default;
};

// Marks the current thread as running `sink`'s handler. Most handlers answer
// before returning; a responder called within the scope hands its response
// straight to the sink, skipping the gate and a trip through the io queue.
// (The server cannot be torn down meanwhile: it joins its io threads first.)
class InlineScope {
 public:
  explicit InlineScope(ResponseSink* sink);
  InlineScope(const InlineScope&) = delete;
  InlineScope& operator=(const InlineScope&) = delete;
  ~InlineScope();

  static const ResponseSink* Current();

 private:
  const ResponseSink* previous_;
};

// A Responder for request `sequence` on `sink`.
Responder MakeResponder(std::shared_ptr<ResponderGate> gate,
                        std::weak_ptr<ResponseSink> sink, uint64_t sequence);

}  // namespace tokend::http::internal

#endif  // TOKEND_SERVER_HTTP_RESPONDER_H_
