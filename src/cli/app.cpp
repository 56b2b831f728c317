#include <cstdio>
#include <iostream>

#include <c10/util/Exception.h>
#include <opencv2/core.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "skingan/version.h"

namespace skingan::cli {

int run_cli(const std::vector<std::string>& args) {
  CLI::App app(
      "skingan: GAN data augmentation for skin-lesion classifiers, measured honestly.\n"
      "Run `skingan <command> --help` for a command's options.");
  app.name("skingan");
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.add_flag_callback(
      "--version",
      [] {
        std::cout << "skingan " << kVersion << "\n";
        throw CLI::Success();
      },
      "print the version and exit");
  GlobalArgs global;
  add_global_options(app, global);
  MakeDemoDataArgs demo;
  PrepareArgs prepare;
  InfoArgs info;
  TrainGanArgs train_gan;
  GenerateArgs generate;
  ExportGeneratorArgs export_generator;
  TrainClassifierArgs train_classifier;
  EvaluateArgs evaluate;
  CompareArgs compare;
  ScoreArgs score;
  ExperimentArgs experiment;
  DemoArgs demo_study;
  CLI::App* demo_cmd = add_make_demo_data_command(app, demo);
  CLI::App* prepare_cmd = add_prepare_command(app, prepare);
  CLI::App* info_cmd = add_info_command(app, info);
  CLI::App* train_gan_cmd = add_train_gan_command(app, train_gan);
  CLI::App* generate_cmd = add_generate_command(app, generate);
  CLI::App* export_cmd = add_export_generator_command(app, export_generator);
  CLI::App* train_classifier_cmd = add_train_classifier_command(app, train_classifier);
  CLI::App* evaluate_cmd = add_evaluate_command(app, evaluate);
  CLI::App* compare_cmd = add_compare_command(app, compare);
  CLI::App* score_cmd = add_score_command(app, score);
  CLI::App* experiment_cmd = add_experiment_command(app, experiment);
  CLI::App* demo_study_cmd = add_demo_command(app, demo_study);

  std::vector<std::string> reversed(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  try {
    app.parse(reversed);  // CLI11 consumes a reversed vector without the program name
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    const Runtime runtime = resolve_runtime(global);
    // Only train-classifier and train-gan train data-parallel: any other command under
    // torchrun/srun with several ranks is refused (by join_process_group) before it does
    // anything.
    if (runtime.rendezvous.distributed() && !train_classifier_cmd->parsed() &&
        !train_gan_cmd->parsed()) {
      const std::vector<CLI::App*> chosen = app.get_subcommands();
      join_process_group(runtime, chosen.empty() ? "this command" : chosen.front()->get_name());
    }
    if (demo_cmd->parsed()) return run_make_demo_data(demo, runtime);
    if (prepare_cmd->parsed()) return run_prepare(prepare, runtime);
    if (info_cmd->parsed()) return run_info(info, runtime);
    if (train_gan_cmd->parsed()) return run_train_gan(train_gan, runtime);
    if (generate_cmd->parsed()) return run_generate(generate, runtime);
    if (export_cmd->parsed()) return run_export_generator(export_generator, runtime);
    if (train_classifier_cmd->parsed()) return run_train_classifier(train_classifier, runtime);
    if (evaluate_cmd->parsed()) return run_evaluate(evaluate, runtime);
    if (compare_cmd->parsed()) return run_compare(compare, runtime);
    if (score_cmd->parsed()) return run_score(score, runtime);
    if (experiment_cmd->parsed()) return run_experiment(experiment, runtime);
    if (demo_study_cmd->parsed()) return run_demo(demo_study, runtime);
    return 2;
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const c10::Error& e) {
    std::cerr
        << "error (LibTorch): " << e.what_without_backtrace()
        << "\nThis is a bug in skingan or LibTorch; please report it with the command line.\n";
    return 70;
  } catch (const cv::Exception& e) {
    std::cerr << "error (OpenCV): " << e.what()
              << "\nThis is a bug in skingan or OpenCV; please report it with the command line.\n";
    return 70;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 70;
  }
}

}  // namespace skingan::cli
