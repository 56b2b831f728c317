#include <gtest/gtest.h>

#include <torch/cuda.h>

#include "core/device.h"
#include "core/error.h"

using namespace skingan;

TEST(Device, ParsesCpuAndAuto) {
  EXPECT_EQ(parse_device("cpu"), c10::Device(c10::kCPU));
  const c10::Device chosen = parse_device("auto");
  EXPECT_EQ(chosen.is_cuda(), torch::cuda::is_available());
}

TEST(Device, RefusesMalformedSpecs) {
  for (const char* spec : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CPU", ""}) {
    try {
      parse_device(spec);
      FAIL() << spec;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("--device"), std::string::npos) << e.what();
    }
  }
}

TEST(Device, CudaWithoutCudaSaysWhatToDo) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  try {
    parse_device("cuda:0");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--device cpu"), std::string::npos) << e.what();
  }
}
