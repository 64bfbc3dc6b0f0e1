/** SCEP (RFC 8894) message codec. @packageDocumentation */
export {};
