// The yolo_v1 command line: one add_<command>() per subcommand registers its options with CLI11,
// writing straight into that command's options struct, and says how to run it. main() parses and
// runs whichever subcommand was given; the tests parse argument vectors and read the structs.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "apps/yolo_v1/check.h"
#include "apps/yolo_v1/convert.h"
#include "apps/yolo_v1/demo.h"
#include "apps/yolo_v1/detect.h"
#include "apps/yolo_v1/eval.h"
#include "apps/yolo_v1/generate.h"
#include "apps/yolo_v1/overfit.h"
#include "apps/yolo_v1/train.h"

namespace yolo {

/// check-dataset's options: the dataset and how to check it.
struct CheckCommand {
  fs::path dir;
  CheckOptions opt;
};

/// Every subcommand's options, each with the command's defaults until parsing sets them.
struct Commands {
  GenerateOptions generate;
  CheckCommand check;
  ConvertOptions convert;
  TrainOptions train;
  OverfitCommand overfit;
  DemoCommand demo;
  DetectCommand detect;
  EvalCommand eval;
  int threads = 0;  // --threads of every command that runs a network (0: minidl's default)
};

/// Where a subcommand writes, and whether stdout is a terminal (progress lines redraw in place).
struct RunContext {
  std::ostream& out;
  std::ostream& err;
  bool tty = false;
};

/// One subcommand: its CLI11 app, the device its options name (main prints minidl's runtime
/// summary for it), and what running it does; run returns the exit status and throws
/// minidl::Error for bad input.
struct Subcommand {
  CLI::App* app = nullptr;
  const std::string* device = nullptr;   // nullptr: the command runs no network (the CPU)
  const bool* data_on_stdout = nullptr;  // true after parsing: stdout carries data (detect --json)
  std::function<int(const RunContext&)> run;
  // Joins the MPI job when mpirun (or srun) started the process (train): main() then lets rank 0
  // alone print.
  bool distributed = false;
};

/// The parser of the whole command line. CLI11 keeps the addresses of the fields in commands()
/// and writes into them while parsing, so a Cli is neither copied nor moved.
class Cli {
 public:
  Cli();
  Cli(const Cli&) = delete;
  Cli& operator=(const Cli&) = delete;

  /// Parses the command line (argv[0] is the program); throws CLI::ParseError (including
  /// CLI::CallForHelp for --help) as CLI::App::parse does: app().exit(e) reports it.
  void parse(int argc, const char* const* argv);
  /// The same for arguments after the program's name (tests).
  void parse(const std::vector<std::string>& args);

  CLI::App& app() { return app_; }
  const Commands& commands() const { return cmd_; }
  /// Every subcommand, in the order --help lists them.
  const std::vector<Subcommand>& subcommands() const { return subs_; }
  /// The subcommand the parsed command line gave (the parser requires exactly one).
  const Subcommand& chosen() const;

 private:
  CLI::App app_;
  Commands cmd_;
  std::vector<Subcommand> subs_;
};

/// The registrations, one per subcommand: each adds the subcommand and its options to `app`,
/// bound to its options struct (which must outlive `app`), and returns how to run it.
Subcommand add_generate(CLI::App& app, GenerateOptions& g);
Subcommand add_check_dataset(CLI::App& app, CheckCommand& c);
Subcommand add_convert(CLI::App& app, ConvertOptions& c);
Subcommand add_train(CLI::App& app, TrainOptions& t, int& threads);
Subcommand add_overfit(CLI::App& app, OverfitCommand& o, int& threads);
Subcommand add_demo(CLI::App& app, DemoCommand& d, int& threads);
Subcommand add_detect(CLI::App& app, DetectCommand& d, int& threads);
Subcommand add_eval(CLI::App& app, EvalCommand& e, int& threads);

}  // namespace yolo
