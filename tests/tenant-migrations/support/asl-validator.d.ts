/** asl-validator 4 ships no types; this is the part its README documents ("In your code"). */
declare module "asl-validator" {
  interface ValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly { readonly message: string }[];
    /** The errors joined with the separator; "" when valid. */
    errorsText(separator?: string): string;
  }
  function aslValidator(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): ValidationResult;
  export = aslValidator;
}
