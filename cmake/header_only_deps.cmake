# The small third-party libraries as headers only, for machines that have LibTorch (e.g. Python's
# PyTorch wheel on a GPU node) but not Debian's CLI11/nlohmann-json/spdlog/fmt/toml++ packages.
# Each header folder is searched under CMAKE_PREFIX_PATH/include (scripts/gpu_pack.sh packs
# Debian's own headers into such a prefix). Defines the targets the rest of the build links to:
# CLI11::CLI11, nlohmann_json::nlohmann_json, spdlog::spdlog and skingan_toml.
#
# They are ordinary (not imported) INTERFACE targets on purpose: their folders then come as -I,
# ahead of LibTorch's -isystem folders, so spdlog sees the packed fmt and not the different fmt
# version some LibTorch builds ship in their own include folder.
function(skingan_header_dependency name header)
  find_path(SKINGAN_${name}_INCLUDE_DIR ${header} REQUIRED
    DOC "folder holding ${header} (-DSKINGAN_HEADER_ONLY_DEPS=ON)")
  add_library(skingan_dep_${name} INTERFACE)
  target_include_directories(skingan_dep_${name} INTERFACE ${SKINGAN_${name}_INCLUDE_DIR})
endfunction()

skingan_header_dependency(cli11 CLI/CLI.hpp)
skingan_header_dependency(json nlohmann/json.hpp)
skingan_header_dependency(fmt fmt/format.h)
skingan_header_dependency(spdlog spdlog/spdlog.h)
skingan_header_dependency(toml toml++/toml.h)
target_compile_definitions(skingan_dep_fmt INTERFACE FMT_HEADER_ONLY=1)
target_compile_definitions(skingan_dep_spdlog INTERFACE SPDLOG_FMT_EXTERNAL=1)
target_link_libraries(skingan_dep_spdlog INTERFACE skingan_dep_fmt)

add_library(CLI11::CLI11 ALIAS skingan_dep_cli11)
add_library(nlohmann_json::nlohmann_json ALIAS skingan_dep_json)
add_library(spdlog::spdlog ALIAS skingan_dep_spdlog)
add_library(skingan_toml ALIAS skingan_dep_toml)
set(SKINGAN_TOML_DEFINES "TOML_HEADER_ONLY=1")
