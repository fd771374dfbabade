/* The record model. Changing a key or a type here changes the wire format:
 * docs/FORMAT.md, docs/RECORD.md, docs/record.schema.json and tests/vectors
 * must move with it. Keys are never reused once published. */
#include "phr/document.h"
#include "phr/schema.h"

#define END { 0 }
#define CS(x) PHR_CS_BIT(PHR_CS_##x)
#define PROBLEM_SYSTEMS (CS(ICD11) | CS(ICD10) | CS(SNOMED))

static const char *const sex_enum[] = { "female", "male", "other", "unknown", 0 };
static const char *const problem_cat_enum[] = { "chronic", "past_infection", "surgery",
	"disability", "other", 0 };
static const char *const problem_status_enum[] = { "active", "resolved", "unknown", 0 };
static const char *const criticality_enum[] = { "low", "high", "unable_to_assess", 0 };
static const char *const vacc_source_enum[] = { "documented", "reported", "given", 0 };
static const char *const result_enum[] = { "negative", "positive", "indeterminate",
	"pending", "not_done", "normal", "abnormal", 0 };
static const char *const consent_by_enum[] = { "self", "parent", "guardian", "representative", 0 };
static const char *const pregnancy_enum[] = { "not_pregnant", "pregnant", "unknown", 0 };
static const char *const mh_enum[] = { "negative", "positive", "not_done", 0 };
static const char *const urgency_enum[] = { "routine", "urgent", "emergency", 0 };
static const char *const entry_kind_enum[] = { "assessment", "follow_up", "snapshot", 0 };
/* the order of phr_document_type() and phr_document_media_type() */
static const char *const document_type_enum[] = { "lab_result", "imaging_report", "discharge_letter",
	"referral_letter", "prescription", "other", 0 };
static const char *const media_type_enum[] = { "application/pdf", "image/png", "image/jpeg", 0 };

static const struct phr_field name_fields[] = {
	{ "family", 1, PHR_T_TEXT, 0, 1, 100, 0, 0, 0, "family name, in the holder's own script" },
	{ "given", 2, PHR_T_TEXT, 0, 1, 100, 0, 0, 0, "given names, in the holder's own script" },
	{ "lang", 3, PHR_T_LANG, 0, 0, 0, 0, 0, 0, "language/script of this spelling (ISO 639-1)" },
	END
};
static const struct phr_field name_item[] = {
	{ "name", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, name_fields, "one spelling of the name" },
};
static const struct phr_field lang_item[] = {
	{ "language", 0, PHR_T_LANG, 0, 0, 0, 0, 0, 0, "ISO 639-1 language" },
};
static const struct phr_field country_item[] = {
	{ "country", 0, PHR_T_COUNTRY, 0, 0, 0, 0, 0, 0, "ISO 3166-1 alpha-2 country" },
};

static const struct phr_field identity_fields[] = {
	{ "names", 1, PHR_T_ARRAY, 0, 0, 4, 0, 0, name_item, "names (optional; pseudonymous records omit them)" },
	{ "birth_date", 2, PHR_T_DATE, 0, 0, 0, 0, 0, 0, "date of birth; YYYY or YYYY-MM allowed" },
	{ "sex", 3, PHR_T_ENUM, 0, 0, 0, 0, sex_enum, 0, "administrative sex" },
	{ "nationality", 4, PHR_T_COUNTRY, 0, 0, 0, 0, 0, 0, "nationality" },
	{ "origin", 5, PHR_T_COUNTRY, 0, 0, 0, 0, 0, 0, "country of origin" },
	{ "languages", 6, PHR_T_ARRAY, 0, 0, 8, 0, 0, lang_item, "languages spoken" },
	{ "preferred_language", 7, PHR_T_LANG, 0, 0, 0, 0, 0, 0, "language the holder reads best" },
	{ "interpreter", 8, PHR_T_BOOL, 0, 0, 0, 0, 0, 0, "an interpreter is needed" },
	END
};

static const struct phr_field migration_fields[] = {
	{ "departure", 1, PHR_T_DATE, 0, 0, 0, 0, 0, 0, "date of departure from the country of origin" },
	{ "arrival", 2, PHR_T_DATE, 0, 0, 0, 0, 0, 0, "date of arrival in the host country" },
	{ "host_country", 3, PHR_T_COUNTRY, 0, 0, 0, 0, 0, 0, "country of arrival" },
	{ "transit", 4, PHR_T_ARRAY, 0, 0, 16, 0, 0, country_item, "transit countries, in order" },
	END
};

static const struct phr_field consent_fields[] = {
	{ "store", 1, PHR_T_BOOL, 1, 0, 0, 0, 0, 0, "agrees that this record is stored and carried" },
	{ "share_with", 2, PHR_T_ARRAY, 0, 0, 32, 0, 0, country_item, "countries whose clinics may read it" },
	{ "emergency_access", 3, PHR_T_BOOL, 0, 0, 0, 0, 0, 0, "may be read without the holder in an emergency" },
	{ "date", 4, PHR_T_DATE, 1, 0, 0, 0, 0, 0, "date consent was given" },
	{ "mediator_present", 5, PHR_T_BOOL, 0, 0, 0, 0, 0, 0, "a cultural mediator was present" },
	{ "given_by", 6, PHR_T_ENUM, 0, 0, 0, 0, consent_by_enum, 0, "who gave consent (the holder, or for them)" },
	END
};

static const struct phr_field problem_fields[] = {
	{ "code", 1, PHR_T_CODE, 1, 0, 0, PROBLEM_SYSTEMS, 0, 0, "the condition (ICD-11, ICD-10 or SNOMED CT)" },
	{ "category", 2, PHR_T_ENUM, 0, 0, 0, 0, problem_cat_enum, 0, "kind of history item" },
	{ "onset", 3, PHR_T_DATE, 0, 0, 0, 0, 0, 0, "onset or procedure date" },
	{ "status", 4, PHR_T_ENUM, 0, 0, 0, 0, problem_status_enum, 0, "clinical status" },
	{ "note", 5, PHR_T_TEXT, 0, 1, PHR_MAX_TEXT, 0, 0, 0, "free-text note (never the only carrier of a fact)" },
	END
};
static const struct phr_field problem_item[] = {
	{ "problem", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, problem_fields, "a condition in the history" },
};

static const struct phr_field medication_fields[] = {
	{ "code", 1, PHR_T_CODE, 1, 0, 0, CS(ATC), 0, 0, "the medicine (ATC)" },
	{ "dosage", 2, PHR_T_TEXT, 0, 1, 200, 0, 0, 0, "dosage as written by the prescriber" },
	{ "since", 3, PHR_T_DATE, 0, 0, 0, 0, 0, 0, "taken since" },
	{ "note", 4, PHR_T_TEXT, 0, 1, PHR_MAX_TEXT, 0, 0, 0, "free-text note" },
	END
};
static const struct phr_field medication_item[] = {
	{ "medication", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, medication_fields, "a current medicine" },
};

static const struct phr_field allergy_fields[] = {
	{ "code", 1, PHR_T_CODE, 1, 0, 0, CS(SNOMED) | CS(ATC) | CS(ICD11) | CS(ICD10), 0, 0, "the substance or allergy" },
	{ "criticality", 2, PHR_T_ENUM, 0, 0, 0, 0, criticality_enum, 0, "risk of a severe reaction" },
	{ "reaction", 3, PHR_T_TEXT, 0, 1, 200, 0, 0, 0, "reaction seen" },
	END
};
static const struct phr_field allergy_item[] = {
	{ "allergy", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, allergy_fields, "an allergy or intolerance" },
};

static const struct phr_field vaccination_fields[] = {
	{ "vaccine", 1, PHR_T_CODE, 1, 0, 0, CS(ATC), 0, 0, "vaccine (ATC J07…)" },
	{ "dose", 2, PHR_T_INT, 0, 1, 20, 0, 0, 0, "dose number n" },
	{ "of", 3, PHR_T_INT, 0, 1, 20, 0, 0, 0, "of m doses in the series" },
	{ "date", 4, PHR_T_DATE, 0, 0, 0, 0, 0, 0, "date given" },
	{ "country", 5, PHR_T_COUNTRY, 0, 0, 0, 0, 0, 0, "country where given" },
	{ "lot", 6, PHR_T_TEXT, 0, 1, 40, 0, 0, 0, "batch/lot number" },
	{ "source", 7, PHR_T_ENUM, 0, 0, 0, 0, vacc_source_enum, 0, "documented, reported by the holder, or given by this clinic" },
	END
};
static const struct phr_field vaccination_item[] = {
	{ "vaccination", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, vaccination_fields, "one vaccine dose" },
};

static const struct phr_field result_fields[] = {
	{ "test", 1, PHR_T_CODE, 1, 0, 0, CS(LOINC), 0, 0, "the test (LOINC)" },
	{ "date", 2, PHR_T_DATE, 0, 0, 0, 0, 0, 0, "date of the sample or test" },
	{ "result", 3, PHR_T_ENUM, 1, 0, 0, 0, result_enum, 0, "interpretation" },
	{ "value", 4, PHR_T_DECIMAL, 0, 0, 0, 0, 0, 0, "measured value" },
	{ "unit", 5, PHR_T_UNIT, 0, 0, 0, 0, 0, 0, "UCUM unit of the value" },
	{ "note", 6, PHR_T_TEXT, 0, 1, PHR_MAX_TEXT, 0, 0, 0, "free-text note" },
	END
};
static const struct phr_field result_item[] = {
	{ "result", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, result_fields, "one screening or laboratory result" },
};

static const struct phr_field vital_fields[] = {
	{ "code", 1, PHR_T_CODE, 1, 0, 0, CS(LOINC), 0, 0, "what was measured (LOINC)" },
	{ "value", 2, PHR_T_DECIMAL, 1, 0, 0, 0, 0, 0, "value" },
	{ "unit", 3, PHR_T_UNIT, 1, 0, 0, 0, 0, 0, "UCUM unit" },
	END
};
static const struct phr_field vital_item[] = {
	{ "vital", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, vital_fields, "one vital sign or body measurement" },
};

static const struct phr_field pregnancy_fields[] = {
	{ "status", 1, PHR_T_ENUM, 1, 0, 0, 0, pregnancy_enum, 0, "pregnancy status" },
	{ "expected_delivery", 2, PHR_T_DATE, 0, 0, 0, 0, 0, 0, "expected date of delivery" },
	{ "gravida", 3, PHR_T_INT, 0, 0, 30, 0, 0, 0, "number of pregnancies" },
	{ "para", 4, PHR_T_INT, 0, 0, 30, 0, 0, 0, "number of births" },
	END
};

static const struct phr_field mental_fields[] = {
	{ "screening", 1, PHR_T_ENUM, 1, 0, 0, 0, mh_enum, 0, "screening result" },
	{ "tool", 2, PHR_T_CODE, 0, 0, 0, CS(LOINC), 0, 0, "screening instrument (LOINC panel)" },
	{ "referral", 3, PHR_T_BOOL, 0, 0, 0, 0, 0, 0, "referral to mental-health services needed" },
	{ "note", 4, PHR_T_TEXT, 0, 1, PHR_MAX_TEXT, 0, 0, 0, "free-text note" },
	END
};

static const struct phr_field diagnosis_fields[] = {
	{ "code", 1, PHR_T_CODE, 1, 0, 0, PROBLEM_SYSTEMS, 0, 0, "diagnosis (ICD-11, ICD-10 or SNOMED CT)" },
	{ "note", 2, PHR_T_TEXT, 0, 1, PHR_MAX_TEXT, 0, 0, 0, "free-text note" },
	END
};
static const struct phr_field diagnosis_item[] = {
	{ "diagnosis", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, diagnosis_fields, "a diagnosis made at this visit" },
};

static const struct phr_field treatment_fields[] = {
	{ "code", 1, PHR_T_CODE, 1, 0, 0, CS(ATC), 0, 0, "medicine given or prescribed (ATC)" },
	{ "dosage", 2, PHR_T_TEXT, 0, 1, 200, 0, 0, 0, "dosage and duration" },
	{ "note", 3, PHR_T_TEXT, 0, 1, PHR_MAX_TEXT, 0, 0, 0, "free-text note" },
	END
};
static const struct phr_field treatment_item[] = {
	{ "treatment", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, treatment_fields, "a treatment given at this visit" },
};

static const struct phr_field referral_fields[] = {
	{ "reason", 1, PHR_T_CODE, 1, 0, 0, PROBLEM_SYSTEMS, 0, 0, "reason for the referral" },
	{ "to", 2, PHR_T_TEXT, 0, 1, 200, 0, 0, 0, "service or specialty referred to" },
	{ "urgency", 3, PHR_T_ENUM, 0, 0, 0, 0, urgency_enum, 0, "urgency" },
	END
};
static const struct phr_field referral_item[] = {
	{ "referral", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, referral_fields, "a referral" },
};

static const struct phr_field plan_fields[] = {
	{ "referrals", 1, PHR_T_ARRAY, 0, 0, 16, 0, 0, referral_item, "referrals" },
	{ "follow_up", 2, PHR_T_DATE, 0, 0, 0, 0, 0, 0, "date of the next visit" },
	{ "notes", 3, PHR_T_TEXT, 0, 1, PHR_MAX_TEXT, 0, 0, 0, "free-text plan" },
	END
};

static const struct phr_field author_fields[] = {
	{ "professional", 1, PHR_T_TEXT, 0, 1, 100, 0, 0, 0, "health professional who did the assessment" },
	{ "role", 2, PHR_T_TEXT, 0, 1, 60, 0, 0, 0, "role (physician, nurse, …)" },
	{ "mediator", 3, PHR_T_TEXT, 0, 1, 100, 0, 0, 0, "cultural mediator or interpreter" },
	END
};

static const struct phr_field document_fields[] = {
	{ "type", 1, PHR_T_ENUM, 1, 0, 0, 0, document_type_enum, 0, "what the document is" },
	{ "title", 2, PHR_T_TEXT, 1, 1, PHR_MAX_DOCUMENT_TITLE, 0, 0, 0, "title, as the clinic names it (\"Chest X-ray report\")" },
	{ "media_type", 3, PHR_T_ENUM, 1, 0, 0, 0, media_type_enum, 0, "media type, as its content shows it" },
	{ "size", 4, PHR_T_INT, 1, 1, PHR_MAX_DOCUMENT, 0, 0, 0, "size in bytes" },
	{ "hash", 5, PHR_T_BYTES, 1, PHR_DOCUMENT_HASH_LEN, PHR_DOCUMENT_HASH_LEN, 0, 0, 0, "BLAKE2b-256 of the document's bytes" },
	END
};
static const struct phr_field document_item[] = {
	{ "document", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, document_fields, "a document kept apart from the record, by its hash" },
};

static const struct phr_field root_fields[] = {
	{ "kind", 1, PHR_T_ENUM, 1, 0, 0, 0, entry_kind_enum, 0, "assessment (entry 0), follow_up, or snapshot" },
	{ "date", 2, PHR_T_DATE, 1, 1, 0, 0, 0, 0, "date of the visit (full date)" },
	{ "identity", 3, PHR_T_OBJECT, 0, 0, 0, 0, 0, identity_fields, "who the holder is" },
	{ "migration", 4, PHR_T_OBJECT, 0, 0, 0, 0, 0, migration_fields, "migration journey" },
	{ "consent", 5, PHR_T_OBJECT, 0, 0, 0, 0, 0, consent_fields, "consent and data sharing" },
	{ "history", 6, PHR_T_ARRAY, 0, 0, PHR_MAX_ARRAY, 0, 0, problem_item, "medical history" },
	{ "medications", 7, PHR_T_ARRAY, 0, 0, PHR_MAX_ARRAY, 0, 0, medication_item, "current medicines" },
	{ "allergies", 8, PHR_T_ARRAY, 0, 0, PHR_MAX_ARRAY, 0, 0, allergy_item, "allergies and intolerances" },
	{ "vaccinations", 9, PHR_T_ARRAY, 0, 0, PHR_MAX_ARRAY, 0, 0, vaccination_item, "vaccinations" },
	{ "no_vaccination_documents", 10, PHR_T_BOOL, 0, 0, 0, 0, 0, 0, "no vaccination documents: treated as unvaccinated" },
	{ "results", 11, PHR_T_ARRAY, 0, 0, PHR_MAX_ARRAY, 0, 0, result_item, "screening and laboratory results" },
	{ "vitals", 12, PHR_T_ARRAY, 0, 0, 32, 0, 0, vital_item, "physical examination and vital signs" },
	{ "pregnancy", 13, PHR_T_OBJECT, 0, 0, 0, 0, 0, pregnancy_fields, "pregnancy" },
	{ "mental_health", 14, PHR_T_OBJECT, 0, 0, 0, 0, 0, mental_fields, "mental health" },
	{ "diagnoses", 15, PHR_T_ARRAY, 0, 0, PHR_MAX_ARRAY, 0, 0, diagnosis_item, "diagnoses at this visit" },
	{ "treatments", 16, PHR_T_ARRAY, 0, 0, PHR_MAX_ARRAY, 0, 0, treatment_item, "treatment given at this visit" },
	{ "plan", 17, PHR_T_OBJECT, 0, 0, 0, 0, 0, plan_fields, "plan: referrals, follow-up" },
	{ "author", 18, PHR_T_OBJECT, 0, 0, 0, 0, 0, author_fields, "who wrote this entry" },
	{ "notes", 19, PHR_T_TEXT, 0, 1, PHR_MAX_TEXT, 0, 0, 0, "free-text notes" },
	{ "documents", 20, PHR_T_ARRAY, 0, 0, PHR_MAX_DOCUMENTS, 0, 0, document_item, "documents attached: lab results, reports, letters (the bytes are not in the record)" },
	END
};

static const struct phr_field root[] = {
	{ "entry", 0, PHR_T_OBJECT, 0, 0, 0, 0, 0, root_fields, "one entry of a personal health record" },
};

const struct phr_field *phr_schema_root(void)
{
	return root;
}
