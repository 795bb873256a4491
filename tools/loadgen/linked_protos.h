// The request types loadgen resolves without server reflection.
#ifndef TOKEND_TOOLS_LOADGEN_LINKED_PROTOS_H_
#define TOKEND_TOOLS_LOADGEN_LINKED_PROTOS_H_

namespace tokend::loadgen {

// A generated .pb.cc registers its descriptors from a static initializer, but
// a statically linked binary drops objects nothing refers to, and with them
// the registration. Calling this from main() refers to every proto loadgen
// is meant to know, so DescriptorPool::generated_pool() finds them.
void EnsureProtosLinked();

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_LINKED_PROTOS_H_
