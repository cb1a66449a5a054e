using SynergAI.Cli;

return SynergAiCli.Run(args, Console.Out, Console.Error);
