// The one place that knows where LibTorch's C++ API differs between Debian's 1.13 (CPU) and an
// upstream 2.x (CUDA) build. Everything else calls these and stays free of version checks.
#pragma once

#include <sstream>
#include <string>
#include <type_traits>

#include <ATen/autocast_mode.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/version.h>

namespace skingan::compat {

// LibTorch 2.4 replaced the CUDA-only autocast switches by per-device-type ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SKINGAN_AUTOCAST_PER_DEVICE 1
#else
#define SKINGAN_AUTOCAST_PER_DEVICE 0
#endif

// Mixed precision for the scope's lifetime on this thread: the ops on autocast's lists run in
// `dtype` (convolutions and matrix products), the rest stay float, as torch.autocast("cuda") does.
// Only CUDA is supported; `enabled` false makes the scope a no-op.
class CudaAutocast {
 public:
  CudaAutocast(bool enabled, at::ScalarType dtype) : enabled_(enabled) {
    if (!enabled_) return;
#if SKINGAN_AUTOCAST_PER_DEVICE
    previous_ = at::autocast::is_autocast_enabled(at::kCUDA);
    at::autocast::set_autocast_dtype(at::kCUDA, dtype);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    previous_ = at::autocast::is_enabled();
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(true);
#endif
    at::autocast::increment_nesting();
  }
  ~CudaAutocast() {
    if (!enabled_) return;
    // The casts of the weights are cached inside the outermost scope; they are stale after the
    // optimizer step, so the cache goes when that scope ends (as Python's autocast exit does).
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if SKINGAN_AUTOCAST_PER_DEVICE
    at::autocast::set_autocast_enabled(at::kCUDA, previous_);
#else
    at::autocast::set_enabled(previous_);
#endif
  }
  CudaAutocast(const CudaAutocast&) = delete;
  CudaAutocast& operator=(const CudaAutocast&) = delete;

 private:
  bool enabled_;
  bool previous_ = false;
};

// The key under which torch::optim::Optimizer keeps a parameter's state: the address of its
// TensorImpl, as a string in LibTorch 1.13 (written as c10::guts::to_string writes a pointer, by
// a stream) and as the pointer itself in later versions. `Key` is the optimizer's own key type
// (the key_type of its state map), so no version check is needed.
template <typename Key>
Key optimizer_state_key(const at::Tensor& parameter) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream key;
    key << parameter.unsafeGetTensorImpl();
    return key.str();
  } else {
    return static_cast<Key>(parameter.unsafeGetTensorImpl());
  }
}

}  // namespace skingan::compat
