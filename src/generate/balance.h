// How many synthetic images each class gets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace skingan::generate {

struct CountRequest {
  enum class Kind { kPerClass, kBalanceTo, kBalanceToMax } kind = Kind::kPerClass;
  int64_t n = 0;  // kPerClass: images per class; kBalanceTo: the target class size
};

// Synthetic images per class of `classes`. kPerClass: n each. kBalanceTo: n minus the class's
// real training count, or 0 when it already has n or more. kBalanceToMax: the same with n = the
// largest real training count among `classes`. Classes missing from `real_train` count as 0.
std::map<std::string, int64_t> synthetic_counts(const CountRequest& request,
                                                const std::vector<std::string>& classes,
                                                const std::map<std::string, int64_t>& real_train);

// "--per-class 500", "--balance-to max" ... for messages and meta.json.
std::string describe(const CountRequest& request);

}  // namespace skingan::generate
