#include "server/http/listen_address.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tokend::http {

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view listen) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", listen, "\": ", why,
                     " (want host:port or [v6]:port)"));
  };
  ListenAddress address;
  absl::string_view port;
  if (!listen.empty() && listen.front() == '[') {
    const size_t close = listen.find(']');
    if (close == absl::string_view::npos) return invalid("unclosed '['");
    address.host = std::string(listen.substr(1, close - 1));
    absl::string_view rest = listen.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return invalid("no port");
    port = rest.substr(1);
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == absl::string_view::npos) return invalid("no port");
    address.host = std::string(listen.substr(0, colon));
    if (address.host.find(':') != std::string::npos) {
      return invalid("an IPv6 address needs brackets");
    }
    port = listen.substr(colon + 1);
  }
  if (address.host.empty()) return invalid("empty host");
  uint32_t number = 0;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port, &number) || number > 65535) {
    return invalid("bad port");
  }
  address.port = static_cast<uint16_t>(number);
  return address;
}

}  // namespace tokend::http
