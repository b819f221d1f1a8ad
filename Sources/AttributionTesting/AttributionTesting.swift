// Module AttributionTesting.
