// The layers of ../shared/docs/ARCHITECTURE.md ("dependencies point one way"), checked on the
// includes of every file under src/: a layer includes only itself and the layers it may use.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;

TEST(Layering, EveryIncludeUnderSrcPointsDownTheLayerTable) {
  // "skingan/" is the generated version header, which every layer may read.
  const std::map<std::string, std::set<std::string>> may_use = {
      {"core", {}},
      {"io", {"core"}},
      // dist (c10d process groups for data-parallel training) is a runtime service like core;
      // models (synchronised BatchNorm) and train use it, the CLI creates the group.
      {"dist", {"core"}},
      {"preprocess", {"io", "core"}},
      {"data", {"preprocess", "io", "core"}},
      {"augment", {"core"}},
      {"models", {"dist", "io", "core"}},
      {"eval", {"models", "data", "io", "core"}},
      // train also draws its sample grids and curves with report/, which uses only core and io
      // (so no cycle); ARCHITECTURE.md's table leaves it out.
      {"train", {"models", "augment", "eval", "data", "dist", "io", "core", "report"}},
      {"generate", {"models", "data", "io", "core"}},
      {"report", {"core", "io"}},
      {"experiment", {"train", "generate", "eval", "report", "data", "io", "core"}},
  };
  const std::regex include("#include \"([a-z_]+)/");
  int64_t files = 0;
  for (const auto& [layer, allowed] : may_use) {
    const fs::path dir = test::source_dir() / "src" / layer;
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, include)) continue;
        const std::string used = m[1];
        if (used == layer || used == "skingan") continue;
        EXPECT_TRUE(allowed.count(used))
            << entry.path().lexically_relative(test::source_dir()).string() << " (" << layer
            << ") includes " << used << "/: not a layer below it";
      }
    }
  }
  EXPECT_GT(files, 100);  // the scan saw the sources
}
