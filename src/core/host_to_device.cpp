#include "core/host_to_device.h"

namespace skingan {

torch::Tensor to_device(const torch::Tensor& host, c10::Device device) {
  if (!device.is_cuda() || !host.is_cpu()) return host.to(device);
  return host.pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace skingan
