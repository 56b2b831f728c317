#include "train/classifier_config.h"

namespace skingan::train {

nlohmann::json to_json(const ClassifierConfig& c) {
  return {{"model", models::classifier_arch_name(c.arch)},
          {"width", c.width},
          {"epochs", c.epochs},
          {"batch_size", c.batch_size},
          {"optimizer", c.optimizer},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"warmup_epochs", c.warmup_epochs},
          {"label_smoothing", c.label_smoothing},
          {"augment", c.augment},
          {"class_weights", c.class_weights},
          {"balanced_sampler", c.balanced_sampler},
          {"synthetic_cap", c.synthetic_cap},
          {"synthetic_cap_ratio", c.synthetic_cap_ratio},
          {"synthetic_classes", c.synthetic_classes},
          {"synthetic_filter_model", c.synthetic_filter_model},
          {"synthetic_min_confidence", c.synthetic_min_confidence},
          {"synthetic_keep_top", c.synthetic_keep_top},
          {"synthetic_ratio", c.synthetic_ratio},
          {"synthetic_weight", c.synthetic_weight},
          {"finetune_real_epochs", c.finetune_real_epochs},
          {"backbone", c.backbone},
          {"seed", c.seed},
          {"real_train", c.real_train},
          {"classes", c.classes},
          {"steps_per_epoch", c.steps_per_epoch},
          {"keep_last_epoch", c.keep_last_epoch},
          {"precision", c.precision}};
}

ClassifierConfig classifier_config_from_json(const nlohmann::json& j) {
  ClassifierConfig c;
  c.arch = models::parse_classifier_arch(j.at("model").get<std::string>());
  c.width = j.at("width");
  c.epochs = j.at("epochs");
  c.batch_size = j.at("batch_size");
  c.optimizer = j.at("optimizer");
  c.lr = j.at("lr");
  c.weight_decay = j.at("weight_decay");
  c.warmup_epochs = j.at("warmup_epochs");
  c.label_smoothing = j.at("label_smoothing");
  c.augment = j.at("augment");
  c.class_weights = j.at("class_weights");
  c.balanced_sampler = j.at("balanced_sampler");
  c.synthetic_cap = j.at("synthetic_cap");
  // The mixing policies are absent in model folders written before they existed.
  c.synthetic_cap_ratio = j.value("synthetic_cap_ratio", -1.0);
  c.synthetic_classes = j.value("synthetic_classes", std::vector<std::string>());
  c.synthetic_filter_model = j.value("synthetic_filter_model", std::string());
  c.synthetic_min_confidence = j.value("synthetic_min_confidence", 0.0);
  c.synthetic_keep_top = j.value("synthetic_keep_top", 1.0);
  c.synthetic_ratio = j.value("synthetic_ratio", -1.0);
  c.synthetic_weight = j.value("synthetic_weight", 1.0);
  c.finetune_real_epochs = j.value("finetune_real_epochs", int64_t{0});
  c.backbone = j.value("backbone", std::string());
  c.seed = j.at("seed");
  // Absent in model folders written before CAS existed.
  c.real_train = j.value("real_train", true);
  c.classes = j.value("classes", std::vector<std::string>());
  c.steps_per_epoch = j.value("steps_per_epoch", int64_t{0});
  c.keep_last_epoch = j.value("keep_last_epoch", false);
  // Absent in model folders written before mixed precision: they trained in fp32.
  c.precision = j.value("precision", std::string("fp32"));
  return c;
}

}  // namespace skingan::train
