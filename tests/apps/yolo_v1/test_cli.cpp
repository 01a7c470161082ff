// Tests of the yolo_v1 command line (apps/yolo_v1/cli.h): every option of every subcommand,
// given a value other than its default, reaches its field of the options struct; left out, the
// field keeps the command's default; bad values and missing required options are rejected with a
// message naming the option; and --no-augment and --clip change what a run does. The tables are
// checked against CLI11's own list of options, so an option added without a row fails here.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <sstream>

#include "apps/yolo_v1/cli.h"
#include "core/str.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using minidl::str;
using yolo_test::TempDir;

namespace {

// A field of the parsed options as text, so one table holds fields of every type: numbers and
// bools as std::ostream writes them (true is "1"), paths as their plain string.
using Field = std::function<std::string(const Commands&)>;
template <class T>
std::string text(const T& v) {
  return str(v);
}
std::string text(const fs::path& p) { return p.string(); }
std::string text(const std::vector<fs::path>& ps) {
  std::string s;
  for (const fs::path& p : ps) s += (s.empty() ? "" : " ") + p.string();
  return s;
}
// FIELD(train.lr): that field of the parsed Commands c; OF(lr): the field of the TrainOptions
// that `of` picks (train's, overfit's or demo's).
#define FIELD(expr) [](const Commands& c) { return text(c.expr); }
#define OF(expr) [of](const Commands& c) { return text(of(c).expr); }
using TrainOf = std::function<const TrainOptions&(const Commands&)>;

struct Row {
  std::string sub, option;        // the subcommand and the option's name as CLI11 gives it
  std::vector<std::string> args;  // the option and its value (a positional: the values alone)
  std::string expected;           // the field after parsing; never the default
  Field field;
};

// An option with a value: args {option, value}, the field then reads `value`.
Row opt(const std::string& sub, const std::string& option, const std::string& value, Field f) {
  return {sub, option, {option, value}, value, std::move(f)};
}
// A flag: args {option}, the field then reads `expected`.
Row flag(const std::string& sub, const std::string& option, const std::string& expected, Field f) {
  return {sub, option, {option}, expected, std::move(f)};
}

// The required arguments of each subcommand, by option name; a row for one of them replaces it.
using Required = std::vector<std::pair<std::string, std::vector<std::string>>>;
const std::map<std::string, Required>& required_args() {
  static const std::map<std::string, Required> m = {
      {"generate", {}},
      {"check-dataset", {{"dir", {"base_dir"}}}},
      {"convert",
       {{"--from", {"--from", "voc"}}, {"source", {"base_src"}}, {"--out", {"--out", "o"}}}},
      {"train", {{"--data", {"--data", "base_data"}}}},
      {"overfit", {{"--data", {"--data", "base_data"}}}},
      {"demo", {}},
      {"detect", {{"--model", {"--model", "base_model"}}, {"images", {"base.png"}}}},
      {"eval", {{"--model", {"--model", "base_model"}}, {"--data", {"--data", "base_data"}}}}};
  return m;
}

// sub, then args, then the required arguments that `args` does not give (named by `option`).
std::vector<std::string> command_line(const std::string& sub, const std::vector<std::string>& args,
                                      const std::string& option = "") {
  std::vector<std::string> argv{sub};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const auto& [name, values] : required_args().at(sub))
    if (name != option) argv.insert(argv.end(), values.begin(), values.end());
  return argv;
}

// The option groups train, overfit and demo share, as cli.cpp registers them.
void add_network_rows(std::vector<Row>& r, const std::string& sub, const TrainOf& of) {
  const std::string arch = of(Commands{}).arch == "humble" ? "tiny" : "humble";  // not the default
  r.push_back(opt(sub, "--arch", arch, OF(arch)));
  r.push_back(opt(sub, "--S", "3", OF(S)));
  r.push_back(opt(sub, "--B", "2", OF(B)));
  r.push_back(opt(sub, "--input", "96", OF(input)));
}
void add_schedule_rows(std::vector<Row>& r, const std::string& sub, const TrainOf& of) {
  r.push_back(opt(sub, "--epochs", "5", OF(epochs)));
  r.push_back(opt(sub, "--batch", "8", OF(batch)));
  r.push_back(opt(sub, "--warmup", "7", OF(warmup)));
}
void add_optimisation_rows(std::vector<Row>& r, const std::string& sub, const TrainOf& of) {
  r.push_back(opt(sub, "--class-loss", "softmax", OF(class_loss)));
  r.push_back(opt(sub, "--lambda-coord", "2.5", OF(lambda_coord)));
  r.push_back(opt(sub, "--lambda-noobj", "0.25", OF(lambda_noobj)));
  r.push_back(opt(sub, "--lambda-class", "3", OF(lambda_class)));
  r.push_back(opt(sub, "--lr", "0.01", OF(lr)));
  r.push_back(opt(sub, "--weight-decay", "0.0005", OF(weight_decay)));
  r.push_back(opt(sub, "--device", "cuda", OF(device)));
  r.push_back(opt(sub, "--seed", "42", OF(seed)));
  r.push_back(flag(sub, "--quiet", "1", OF(quiet)));
}
// --no-augment and --clip set their fields indirectly; they were once silently lost (issue #20).
void add_augment_rows(std::vector<Row>& r, const std::string& sub, const TrainOf& of) {
  r.push_back(flag(sub, "--no-augment", "0", OF(augment.enabled)));
  r.push_back(opt(sub, "--jitter", "0.3", OF(augment.jitter)));
}
void add_bad_input_rows(std::vector<Row>& r, const std::string& sub, const TrainOf& of) {
  r.push_back(flag(sub, "--skip-bad", "1", OF(skip_bad)));
  r.push_back(flag(sub, "--clip", "1", OF(mode == EdgeMode::Clip)));
}

const std::vector<Row>& option_rows() {
  static const std::vector<Row> rows = [] {
    std::vector<Row> r;
    for (const std::string sub : {"train", "overfit", "demo", "detect", "eval"})
      r.push_back(opt(sub, "--threads", "3", FIELD(threads)));

    r.push_back(opt("generate", "--preset", "words", FIELD(generate.preset)));
    r.push_back(opt("generate", "--count", "7", FIELD(generate.count)));
    r.push_back(opt("generate", "--size", "96", FIELD(generate.size)));
    r.push_back(opt("generate", "--out", "d/x", FIELD(generate.out)));
    r.push_back(opt("generate", "--seed", "42", FIELD(generate.seed)));
    r.push_back(opt("generate", "--val-fraction", "0.5", FIELD(generate.val_fraction)));
    r.push_back(flag("generate", "--force", "1", FIELD(generate.force)));
    r.push_back(opt("generate", "--fashion-dir", "/f", FIELD(generate.fashion_dir)));

    r.push_back({"check-dataset", "dir", {"some/ds"}, "some/ds", FIELD(check.dir)});
    r.push_back(opt("check-dataset", "--S", "5", FIELD(check.opt.S)));
    r.push_back(opt("check-dataset", "--names", "n.names", FIELD(check.opt.names)));
    r.push_back(flag("check-dataset", "--clip", "1", FIELD(check.opt.mode == EdgeMode::Clip)));
    r.push_back(flag("check-dataset", "--no-images", "0", FIELD(check.opt.read_images)));

    const TrainOf train = [](const Commands& c) -> const TrainOptions& { return c.train; };
    r.push_back(opt("train", "--data", "ds", FIELD(train.data)));
    r.push_back(opt("train", "--out", "r", FIELD(train.out)));
    add_network_rows(r, "train", train);
    add_schedule_rows(r, "train", train);
    add_optimisation_rows(r, "train", train);
    add_augment_rows(r, "train", train);
    r.push_back(flag("train", "--resume", "1", FIELD(train.resume)));
    r.push_back(opt("train", "--limit", "11", FIELD(train.limit)));
    r.push_back(opt("train", "--val-limit", "12", FIELD(train.val_limit)));
    r.push_back(opt("train", "--val-split", "test", FIELD(train.val_split)));
    r.push_back(opt("train", "--eval-every", "4", FIELD(train.eval_every)));
    r.push_back(opt("train", "--darknet-cfg", "n.cfg", FIELD(train.darknet_cfg)));
    r.push_back(opt("train", "--darknet-weights", "n.weights", FIELD(train.darknet_weights)));
    add_bad_input_rows(r, "train", train);

    const TrainOf overfit = [](const Commands& c) -> const TrainOptions& {
      return c.overfit.train;
    };
    r.push_back(opt("overfit", "--data", "ds", FIELD(overfit.train.data)));
    r.push_back(opt("overfit", "--out", "r", FIELD(overfit.train.out)));
    r.push_back(opt("overfit", "--images", "4", FIELD(overfit.images)));
    r.push_back(opt("overfit", "--steps", "20", FIELD(overfit.steps)));
    r.push_back(opt("overfit", "--min-map", "0.5", FIELD(overfit.min_map)));
    add_network_rows(r, "overfit", overfit);
    add_optimisation_rows(r, "overfit", overfit);
    add_bad_input_rows(r, "overfit", overfit);

    const TrainOf demo = [](const Commands& c) -> const TrainOptions& { return c.demo.train; };
    r.push_back(opt("demo", "--out", "d", FIELD(demo.out)));
    r.push_back(opt("demo", "--count", "40", FIELD(demo.count)));
    r.push_back(opt("demo", "--val-fraction", "0.3", FIELD(demo.val_fraction)));
    r.push_back(opt("demo", "--size", "32", FIELD(demo.size)));
    r.push_back(opt("demo", "--grid", "9", FIELD(demo.grid)));
    r.push_back(opt("demo", "--conf", "0.5", FIELD(demo.conf)));
    add_network_rows(r, "demo", demo);
    add_schedule_rows(r, "demo", demo);
    add_optimisation_rows(r, "demo", demo);
    add_augment_rows(r, "demo", demo);

    r.push_back(opt("detect", "--model", "m", FIELD(detect.model)));
    r.push_back({"detect", "images", {"a.png", "dir"}, "a.png dir", FIELD(detect.inputs)});
    r.push_back(opt("detect", "--out", "o", FIELD(detect.out)));
    r.push_back(opt("detect", "--conf", "0.5", FIELD(detect.det.conf)));
    r.push_back(opt("detect", "--nms-iou", "0.6", FIELD(detect.det.nms_iou)));
    r.push_back(flag("detect", "--agnostic", "1", FIELD(detect.det.agnostic)));
    r.push_back(flag("detect", "--json", "1", FIELD(detect.json)));
    r.push_back(flag("detect", "--save-txt", "1", FIELD(detect.save_txt)));
    r.push_back(opt("detect", "--device", "cuda", FIELD(detect.device)));
    r.push_back(opt("detect", "--darknet-cfg", "n.cfg", FIELD(detect.darknet_cfg)));
    r.push_back(opt("detect", "--darknet-weights", "n.weights", FIELD(detect.darknet_weights)));
    r.push_back(opt("detect", "--names", "voc.names", FIELD(detect.names)));

    r.push_back(opt("convert", "--from", "coco", FIELD(convert.from)));
    r.push_back({"convert", "source", {"some/src"}, "some/src", FIELD(convert.source)});
    r.push_back(opt("convert", "--out", "ds", FIELD(convert.out)));
    r.push_back(opt("convert", "--names", "n.names", FIELD(convert.names)));
    r.push_back(opt("convert", "--image-dir", "imgs", FIELD(convert.image_dir)));
    r.push_back(flag("convert", "--skip-difficult", "1", FIELD(convert.skip_difficult)));
    r.push_back(flag("convert", "--copy-images", "1", FIELD(convert.copy_images)));

    r.push_back(opt("eval", "--model", "m", FIELD(eval.model)));
    r.push_back(opt("eval", "--data", "ds", FIELD(eval.data)));
    r.push_back(opt("eval", "--split", "test", FIELD(eval.split)));
    r.push_back(opt("eval", "--limit", "5", FIELD(eval.limit)));
    r.push_back(flag("eval", "--skip-bad", "1", FIELD(eval.skip_bad)));
    r.push_back(flag("eval", "--clip", "1", FIELD(eval.mode == EdgeMode::Clip)));
    r.push_back(opt("eval", "--device", "cuda", FIELD(eval.device)));
    return r;
  }();
  return rows;
}
#undef FIELD
#undef OF

// A value each validated option rejects (the first outside its range or set).
struct BadRow {
  std::string sub, option, value;
};

const std::vector<BadRow>& bad_rows() {
  static const std::vector<BadRow> rows = [] {
    std::vector<BadRow> r = {{"generate", "--preset", "fashionable"},
                             {"generate", "--count", "0"},
                             {"generate", "--size", "4097"},
                             {"generate", "--val-fraction", "1"},
                             {"check-dataset", "--S", "0"},
                             {"convert", "--from", "yaml"},
                             {"train", "--limit", "-1"},
                             {"train", "--val-limit", "-1"},
                             {"train", "--eval-every", "0"},
                             {"overfit", "--images", "0"},
                             {"overfit", "--steps", "0"},
                             {"overfit", "--min-map", "1.5"},
                             {"demo", "--count", "1"},
                             {"demo", "--val-fraction", "0"},
                             {"demo", "--size", "15"},
                             {"demo", "--grid", "0"},
                             {"demo", "--conf", "1.5"},
                             {"detect", "--conf", "1.5"},
                             {"detect", "--nms-iou", "-0.1"},
                             {"eval", "--limit", "-1"}};
    using Group = std::vector<std::pair<std::string, std::string>>;  // option, bad value
    const Group network = {{"--arch", "yolov9"}, {"--S", "65"}, {"--B", "17"}, {"--input", "4097"}};
    const Group schedule = {{"--epochs", "0"}, {"--batch", "0"}, {"--warmup", "-1"}};
    const Group optimisation = {{"--class-loss", "mse"},
                                {"--lambda-coord", "-1"},
                                {"--lambda-noobj", "-1"},
                                {"--lambda-class", "-1"},
                                {"--lr", "0"},
                                {"--weight-decay", "-0.1"},
                                {"--device", "tpu"}};
    const Group augment = {{"--jitter", "0.95"}};
    const Group device = {{"--device", "tpu"}}, threads = {{"--threads", "-1"}};
    const std::vector<std::pair<std::string, std::vector<Group>>> groups = {
        {"train", {network, schedule, optimisation, augment, threads}},
        {"overfit", {network, optimisation, threads}},
        {"demo", {network, schedule, optimisation, augment, threads}},
        {"detect", {device, threads}},
        {"eval", {device, threads}}};
    for (const auto& [sub, gs] : groups)
      for (const Group& g : gs)
        for (const auto& [option, value] : g) r.push_back({sub, option, value});
    return r;
  }();
  return rows;
}

// The name a row uses for an option: its long name, or a positional's name.
std::string option_name(const CLI::Option* opt) {
  const std::string name = opt->get_name();
  return name.empty() ? opt->get_name(true) : name;
}

std::string parse_error(const std::vector<std::string>& argv) {
  Cli cli;
  try {
    cli.parse(argv);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("yolo_v1 cli: every option of every subcommand reaches its field", "[yolo_cli]") {
  const Commands defaults;
  for (const Row& row : option_rows()) {
    const std::vector<std::string> argv = command_line(row.sub, row.args, row.option);
    INFO(row.sub << " " << row.option);
    Cli cli;
    REQUIRE_NOTHROW(cli.parse(argv));
    CHECK(cli.chosen().app->get_name() == row.sub);
    CHECK(row.field(cli.commands()) == row.expected);
    CHECK(row.field(defaults) != row.expected);  // the row tests a change, not the default
  }
}

TEST_CASE("yolo_v1 cli: an option not given keeps the command's default", "[yolo_cli]") {
  const Commands defaults;
  for (const auto& [sub, required] : required_args()) {
    Cli cli;
    REQUIRE_NOTHROW(cli.parse(command_line(sub, {})));
    for (const Row& row : option_rows()) {
      bool is_required = false;
      for (const auto& r : required) is_required = is_required || r.first == row.option;
      if (row.sub != sub || is_required) continue;
      INFO(sub << " " << row.option);
      CHECK(row.field(cli.commands()) == row.field(defaults));
    }
  }
  // The defaults that differ between commands sharing TrainOptions.
  CHECK(defaults.train.out == "runs/train");
  CHECK(defaults.overfit.train.out == "runs/overfit");
  CHECK(defaults.demo.train.arch == "small");
  CHECK(defaults.train.augment.enabled);
  CHECK(defaults.train.mode == EdgeMode::Keep);
}

TEST_CASE("yolo_v1 cli: the tables cover every option CLI11 knows", "[yolo_cli]") {
  Cli cli;
  std::set<std::string> subs, options;  // options: "sub option"
  for (const Subcommand& s : cli.subcommands()) {
    const std::string sub = s.app->get_name();
    subs.insert(sub);
    CHECK(required_args().count(sub) == 1);
    for (CLI::Option* opt : s.app->get_options()) {
      if (opt == s.app->get_help_ptr()) continue;
      const std::string name = option_name(opt);
      options.insert(sub + " " + name);
      INFO(sub << " " << name);
      bool row = false, bad = false;
      for (const Row& r : option_rows()) row = row || (r.sub == sub && r.option == name);
      for (const BadRow& b : bad_rows()) bad = bad || (b.sub == sub && b.option == name);
      CHECK(row);
      bool validated = true;
      try {
        opt->get_validator();
      } catch (const CLI::OptionNotFound&) {
        validated = false;
      }
      if (validated) CHECK(bad);
    }
  }
  CHECK(subs.size() == required_args().size());
  // No row names an option that does not exist.
  for (const Row& r : option_rows()) CHECK(options.count(r.sub + " " + r.option) == 1);
  for (const BadRow& b : bad_rows()) CHECK(options.count(b.sub + " " + b.option) == 1);
}

TEST_CASE("yolo_v1 cli: bad values and missing options are rejected naming the option",
          "[yolo_cli]") {
  for (const BadRow& b : bad_rows()) {
    INFO(b.sub << " " << b.option << " " << b.value);
    CHECK_THAT(parse_error(command_line(b.sub, {b.option, b.value}, b.option)), Contains(b.option));
  }
  // Not a number where one is needed (no range check runs first on these).
  CHECK_THAT(parse_error({"generate", "--seed", "abc"}), Contains("--seed"));
  CHECK_THAT(parse_error({"train", "--data", "d", "--seed", "abc"}), Contains("--seed"));
  for (const auto& [sub, required] : required_args())
    for (const auto& [name, values] : required) {
      INFO(sub << " without " << name);
      CHECK_THAT(parse_error(command_line(sub, {}, name)), Contains(name + " is required"));
    }
  CHECK_THAT(parse_error({}), Contains("A subcommand is required"));
  CHECK_FALSE(parse_error({"frobnicate"}).empty());
}

TEST_CASE("yolo_v1 cli: the chosen subcommand names its device and where its data goes",
          "[yolo_cli]") {
  Cli cli;
  cli.parse({"detect", "--model", "m", "a.png", "--json", "--device", "cuda"});
  const Subcommand& det = cli.chosen();
  REQUIRE(det.device != nullptr);
  CHECK(*det.device == "cuda");
  REQUIRE(det.data_on_stdout != nullptr);
  CHECK(*det.data_on_stdout);

  Cli gen;
  gen.parse({"generate"});
  CHECK(gen.chosen().device == nullptr);  // runs no network
  CHECK(gen.chosen().data_on_stdout == nullptr);
}

TEST_CASE("yolo_v1 cli: --no-augment and --clip change what train and overfit do", "[yolo_cli]") {
  minidl::set_num_threads(2);
  TempDir dir("cli");
  const std::string words = (dir / "words").string();
  auto run = [](const std::vector<std::string>& argv) {
    Cli cli;
    cli.parse(argv);
    std::ostringstream out, err;
    const int status = cli.chosen().run({out, err, false});
    return std::make_pair(status, out.str());
  };
  REQUIRE(
      run({"generate", "--preset", "words", "--count", "8", "--seed", "5", "--out", words}).first ==
      0);
  const std::vector<std::string> fast = {"--arch",  "humble", "--epochs", "1",
                                         "--batch", "4",      "--quiet",  "--data"};
  auto train = [&](const std::string& data, const std::string& out,
                   const std::vector<std::string>& extra) {
    std::vector<std::string> argv{"train", "--out", (dir / out).string()};
    argv.insert(argv.end(), fast.begin(), fast.end());
    argv.push_back(data);
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  };
  CHECK_THAT(train(words, "aug", {}).second, Contains(", augmentation on,"));
  CHECK_THAT(train(words, "noaug", {"--no-augment"}).second, Contains(", augmentation off,"));

  // A box whose centre is past the right edge: an error without --clip, clipped with it.
  const fs::path edge = dir / "words" / "train" / "labels" / "000000.txt";
  REQUIRE(fs::exists(edge));
  yolo_test::write_text(edge, yolo_test::slurp(edge) + "0 1.05 0.5 0.2 0.2\n");
  CHECK_THROWS_WITH(train(words, "keep", {}), Contains("centre (1.05, 0.5) is outside"));
  CHECK_THAT(train(words, "clip", {"--clip"}).second,
             Contains("--clip: 1 training boxes clipped at the image edge"));
  const auto over =
      run({"overfit", "--data", words, "--arch", "humble", "--images", "4", "--steps", "1",
           "--min-map", "0", "--quiet", "--clip", "--out", (dir / "over").string()});
  CHECK(over.first == 0);
  CHECK_THAT(over.second, Contains("--clip: 1 training boxes clipped at the image edge"));
}
