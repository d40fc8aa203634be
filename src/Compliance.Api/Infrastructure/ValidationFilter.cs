using FluentValidation;
using FluentValidation.Results;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Runs the FluentValidation validator of the endpoint's <typeparamref name="T"/> argument, and checks every string in it
/// for text PostgreSQL cannot store (<see cref="StorableText"/>); answers 400 ValidationProblem naming each failing field.
/// </summary>
internal sealed class ValidationFilter<T>(IValidator<T> validator) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (Argument(context) is { } argument)
        {
            var result = await ValidateAsync(argument, context.HttpContext.RequestAborted);
            var unstorable = StorableText.Check(argument);
            if (!result.IsValid || unstorable.Count > 0)
            {
                var errors = result.ToDictionary();
                foreach (var (field, messages) in unstorable)
                {
                    errors[field] = errors.TryGetValue(field, out var others) ? [.. messages, .. others] : messages; // the unstorable text first: nothing else about it matters
                }

                return TypedResults.ValidationProblem(errors);
            }
        }
        else
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "A JSON request body is required.");
        }

        return await next(context);
    }

    /// <summary>Whether <typeparamref name="T"/>'s validator turned out to have asynchronous rules (then it is always run asynchronously).</summary>
    private static volatile bool _hasAsyncRules;

    // Synchronously where the validator allows it: no validator here has asynchronous rules today, and the synchronous run
    // gives the same result without a state machine per rule on every request. A validator that gains an asynchronous rule
    // refuses the synchronous run with this exception when it reaches that rule; rules have no side effects, so it is run
    // again asynchronously, and asynchronously from then on.
    private ValueTask<ValidationResult> ValidateAsync(T argument, CancellationToken ct)
    {
        if (!_hasAsyncRules)
        {
            try
            {
                return ValueTask.FromResult(validator.Validate(argument));
            }
            catch (AsyncValidatorInvokedSynchronouslyException)
            {
                _hasAsyncRules = true;
            }
        }

        return new ValueTask<ValidationResult>(validator.ValidateAsync(argument, ct));
    }

    // The first argument of type T (a loop, not OfType().FirstOrDefault(): this runs on every validated request).
    private static T? Argument(EndpointFilterInvocationContext context)
    {
        for (var i = 0; i < context.Arguments.Count; i++)
        {
            if (context.Arguments[i] is T argument)
            {
                return argument;
            }
        }

        return default;
    }
}

internal static class ValidationFilterExtensions
{
    public static RouteHandlerBuilder Validate<T>(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter<ValidationFilter<T>>().ProducesValidationProblem();
}
