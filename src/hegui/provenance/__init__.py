"""Creation provenance and copyright (issue 15): the record of how each output was made — model,
prompts, parameters, iterations, the user's selection — as evidence of the user's intellectual input
(Beijing Internet Court, *Li v. Liu*, 2023), exported as a signed package; and checks of outputs
against operators' protected works and searches for copies of our own outputs."""
