#include "generate/balance.h"

#include <algorithm>

namespace skingan::generate {

std::map<std::string, int64_t> synthetic_counts(const CountRequest& request,
                                                const std::vector<std::string>& classes,
                                                const std::map<std::string, int64_t>& real_train) {
  auto real = [&](const std::string& label) {
    const auto it = real_train.find(label);
    return it == real_train.end() ? int64_t{0} : it->second;
  };
  int64_t target = request.n;
  if (request.kind == CountRequest::Kind::kBalanceToMax) {
    target = 0;
    for (const auto& label : classes) target = std::max(target, real(label));
  }
  std::map<std::string, int64_t> counts;
  for (const auto& label : classes) {
    counts[label] = request.kind == CountRequest::Kind::kPerClass
                        ? request.n
                        : std::max<int64_t>(0, target - real(label));
  }
  return counts;
}

std::string describe(const CountRequest& request) {
  switch (request.kind) {
    case CountRequest::Kind::kPerClass:
      return "--per-class " + std::to_string(request.n);
    case CountRequest::Kind::kBalanceTo:
      return "--balance-to " + std::to_string(request.n);
    case CountRequest::Kind::kBalanceToMax:
      break;
  }
  return "--balance-to max";
}

}  // namespace skingan::generate
