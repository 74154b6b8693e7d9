using AttentionGen.Generator.Model;

namespace AttentionGen.Generator.Validation;

/// <summary>
/// One broken rule. <see cref="Property"/> names the attribute argument to point at; null means the declaration itself
/// (the class name, or the attribute when a required property is missing).
/// </summary>
internal sealed record ValidationIssue(string Id, string? Property, EquatableArray<string> MessageArgs, bool IsError = true);
