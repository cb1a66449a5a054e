namespace SynergAI.Scheduling.Policies;

/// <summary>What it would take to run a job on any worker of one class: the configuration and the estimated run time
/// in it. Workers of a class have identical profiles, so one estimate serves them all.</summary>
public readonly record struct Estimate(int Class, string Config, double Seconds);
