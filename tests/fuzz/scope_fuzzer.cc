// libFuzzer target: ParseScope on arbitrary bytes. It must never crash; a
// rejection is InvalidArgument with a bounded, printable message; an accepted
// scope list normalizes idempotently (ParseScope(normalized) gives the same
// set), holds a user id whenever a user-bound scope is present, and its
// normalized form is never longer than the input and made of input items.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/scoped/scope.h"

namespace {

using tokend::scoped::ParseScope;
using tokend::scoped::ScopeSet;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Written apart from scope.cc so a slip there is not mirrored here.
bool IsUserBound(absl::string_view scope) {
  return scope == "read:messages" || scope == "read:user-tokens" ||
         scope == "write:user-tokens";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ScopeSet> set = ParseScope(input);
  if (!set.ok()) {
    Check(set.status().code() == absl::StatusCode::kInvalidArgument);
    // 64 bytes of item, each escaped to at most 4 characters, plus text.
    Check(set.status().message().size() <= 64 * 4 + 64);
    for (char c : set.status().message()) Check(c >= 0x20 && c < 0x7F);
    return 0;
  }
  Check(size <= tokend::scoped::kMaxScopeBytes);
  Check(!set->normalized.empty());
  Check(set->normalized.size() <= size);
  Check(set->user_ids.size() + set->scopes.size() <=
        tokend::scoped::kMaxScopeItems);
  Check(std::is_sorted(set->scopes.begin(), set->scopes.end()));
  Check(std::adjacent_find(set->scopes.begin(), set->scopes.end()) ==
        set->scopes.end());

  // Every normalized item is an input item, user ids first and in order.
  const std::vector<absl::string_view> in =
      absl::StrSplit(input, ' ', absl::SkipEmpty());
  const std::vector<absl::string_view> out =
      absl::StrSplit(set->normalized, ' ');
  Check(out.size() == set->user_ids.size() + set->scopes.size());
  bool user_bound = false;
  for (size_t i = 0; i < out.size(); ++i) {
    Check(std::find(in.begin(), in.end(), out[i]) != in.end());
    if (i < set->user_ids.size()) {
      Check(out[i] == absl::StrCat("user_id:", set->user_ids[i]));
    } else {
      Check(out[i] == set->scopes[i - set->user_ids.size()]);
      Check(!absl::StartsWith(out[i], "user_id:"));
      user_bound |= IsUserBound(out[i]);
    }
  }
  if (user_bound) Check(!set->user_ids.empty());
  // And every input item is kept.
  for (absl::string_view item : in) {
    Check(std::find(out.begin(), out.end(), item) != out.end());
  }

  absl::StatusOr<ScopeSet> again = ParseScope(set->normalized);
  Check(again.ok());
  Check(again->normalized == set->normalized);
  Check(again->user_ids == set->user_ids);
  Check(again->scopes == set->scopes);
  return 0;
}
