# NCCL process groups for data-parallel runs on CUDA (src/dist/process_group.cpp). Only a CUDA
# LibTorch has them (TORCH_CUDA_LIBRARIES), and c10d's ProcessGroupNCCL.hpp needs NCCL's own
# nccl.h, which the PyTorch wheel keeps in its nvidia-nccl package beside torch/. A probe
# compiles and links a use of the header first, so a LibTorch whose c10d headers do not fit this
# code leaves the build on Gloo with a warning instead of failing it.
# Sets SKINGAN_NCCL_FOUND.
option(SKINGAN_NCCL "NCCL process groups on CUDA builds whose LibTorch has them" ON)
set(SKINGAN_NCCL_FOUND OFF)
if(SKINGAN_NCCL AND TORCH_CUDA_LIBRARIES)
  find_path(SKINGAN_NCCL_INCLUDE nccl.h
    HINTS ${TORCH_INCLUDE_DIRS} "${TORCH_INSTALL_PREFIX}/../nvidia/nccl/include"
          ${CUDAToolkit_INCLUDE_DIRS} ${CUDA_INCLUDE_DIRS})
  if(SKINGAN_NCCL_INCLUDE)
    include(CheckCXXSourceCompiles)
    set(CMAKE_REQUIRED_INCLUDES ${TORCH_INCLUDE_DIRS} ${SKINGAN_NCCL_INCLUDE})
    set(CMAKE_REQUIRED_DEFINITIONS -DUSE_C10D_NCCL)
    set(CMAKE_REQUIRED_FLAGS "${TORCH_CXX_FLAGS}")
    set(CMAKE_REQUIRED_LIBRARIES ${TORCH_LIBRARIES})
    check_cxx_source_compiles([=[
      #include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
      int main(int argc, char**) {
        auto options = c10d::ProcessGroupNCCL::Options::create();
        options->timeout = std::chrono::milliseconds(1000);
        c10::intrusive_ptr<c10d::Store> store;
        if (argc > 5) c10d::ProcessGroupNCCL group(store, 0, 1, options);
        return 0;
      }]=] SKINGAN_NCCL_PROBE)
    unset(CMAKE_REQUIRED_INCLUDES)
    unset(CMAKE_REQUIRED_DEFINITIONS)
    unset(CMAKE_REQUIRED_FLAGS)
    unset(CMAKE_REQUIRED_LIBRARIES)
    if(SKINGAN_NCCL_PROBE)
      set(SKINGAN_NCCL_FOUND ON)
    else()
      message(WARNING "ProcessGroupNCCL did not compile against this LibTorch "
                      "(CMakeFiles/CMakeError.log): data-parallel CUDA runs use Gloo")
    endif()
  else()
    message(STATUS "nccl.h not found: data-parallel CUDA runs use Gloo")
  endif()
endif()
