using System.CommandLine;
using Knot.Cli.Commands;

namespace Knot.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = BuildRoot();
        return root.Parse(args).Invoke();
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "knot — learn which weights to cut and which to tie: GrOWL, soft weight-sharing and Deep Compression for .NET.\n" +
            "Exit codes: 0 ok, 1 invalid option, 2 bad input file or data, 3 training diverged, 70 internal error, 130 interrupted.")
        {
            DataCommand.Create(),
            TrainCommand.Create(),
            EvalCommand.Create(),
            InspectCommand.Create(),
            InteropCommands.Import(),
            InteropCommands.Export(),
            GrowlCommand.Create(),
            TieRetrainCommands.Tie(),
            TieRetrainCommands.Retrain(),
            PackCommand.Create(),
            PruneCommand.Create(),
            DcCommand.Create(),
            RunCommand.Create(),
            RunRecipeCommand.Create(BuildRoot),
            SwsCommand.Create(),
            ReportCommand.Create(),
            CompareCommand.Create(),
            SweepCommand.Create(),
        };
        return root;
    }
}
