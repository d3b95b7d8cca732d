// Condition and Event reasons of EngineIdentity: a stable vocabulary a program can switch on.
export const IdentityReason = {
  Ready: "IdentityReady",
  ServiceAccountCreated: "ServiceAccountCreated",
  ServiceAccountManaged: "ServiceAccountManaged",
  ServiceAccountExisting: "ServiceAccountExisting",
  ServiceAccountDeleted: "ServiceAccountDeleted",
  CertificateNotRequested: "CertificateNotRequested",
  CertificateApplied: "CertificateApplied",
  CertificateDeleted: "CertificateDeleted",
  CertificateIssued: "CertificateIssued",
  CertificateIssuing: "CertificateIssuing",
  CertificateNameTaken: "CertificateNameTaken",
  CertManagerMissing: "CertManagerNotInstalled",
  IssuerNotFound: "IssuerNotFound",
  IssuerNotReady: "IssuerNotReady",
} as const;
